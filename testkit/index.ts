/**
 * The shared test kit of every package's tests (server, client, loadtest, bench): real servers on
 * OS-chosen ports, signalling test peers, tokens, coturn, browsers and page probes, network-namespace
 * test hosts, and the one polling helper. Tests may import a module directly (`../../testkit/server`) or
 * everything from here.
 */
export * from './browser';
export * from './config';
export * from './coturn';
export * from './host-server';
export * from './https-get';
export * from './page-probes';
export * from './ports';
export * from './recovery-probe';
export * from './server';
export * from './server-process';
export * from './test-host';
export * from './test-peer';
export * from './tokens';
export * from './until';
