/**
 * The announced-address choice: a wildcard RTC_LISTEN_IP announces the host's primary address(es), a
 * wildcard with nothing usable refuses to start with one clear line, and through a real worker the ICE
 * candidates a browser gets carry the chosen address.
 */
import { afterAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { planListenAddresses, primaryAddress, readHostNetwork, type HostNetwork } from '../src/media/listen-addresses';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false): os.NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as os.NetworkInterfaceInfo;

const network = (interfaces: HostNetwork['interfaces'], v4: string[] = [], v6: string[] = []): HostNetwork => ({
  interfaces,
  defaultRouteInterfaces: { v4, v6 },
});

const HOST = network(
  {
    lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
    docker0: [iface('172.17.0.1', 'IPv4')],
    eth1: [iface('192.168.1.20', 'IPv4')],
    eth0: [iface('203.0.113.7', 'IPv4'), iface('fe80::1', 'IPv6'), iface('2001:db8::7', 'IPv6')],
  },
  ['eth0'],
  ['eth0'],
);

describe('announced address', () => {
  it('a specific listen IP is announced as itself, or as RTC_ANNOUNCED_ADDRESS', () => {
    expect(planListenAddresses('10.0.0.5', undefined, HOST)).toEqual([{ ip: '10.0.0.5' }]);
    expect(planListenAddresses('10.0.0.5', 'sfu.example.org', HOST)).toEqual([{ ip: '10.0.0.5', announcedAddress: 'sfu.example.org' }]);
    expect(planListenAddresses('0.0.0.0', '198.51.100.1', HOST)).toEqual([{ ip: '0.0.0.0', announcedAddress: '198.51.100.1' }]);
  });

  it('0.0.0.0 announces the IPv4 address of the default-route interface', () => {
    expect(planListenAddresses('0.0.0.0', undefined, HOST)).toEqual([{ ip: '0.0.0.0', announcedAddress: '203.0.113.7' }]);
  });

  it(':: announces IPv4 and global IPv6 (never link-local), IPv6 on an IPv6-only socket', () => {
    expect(planListenAddresses('::', undefined, HOST)).toEqual([
      { ip: '0.0.0.0', announcedAddress: '203.0.113.7' },
      { ip: '::', announcedAddress: '2001:db8::7', ipv6Only: true },
    ]);
  });

  it('without a default route: a real interface before a container bridge', () => {
    const noRoute = network({ docker0: [iface('172.17.0.1', 'IPv4')], ens3: [iface('10.1.2.3', 'IPv4')] });
    expect(primaryAddress(noRoute, 4)).toBe('10.1.2.3');
  });

  it('a wildcard with only loopback refuses to start, naming the variable and the fix', () => {
    const loopbackOnly = network({ lo: [iface('127.0.0.1', 'IPv4', true)] });
    let caught: unknown;
    try {
      loadConfig({ RTC_LISTEN_IP: '0.0.0.0' }, () => loopbackOnly);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe('RTC_LISTEN_IP');
    expect((caught as Error).message).toMatch(/no non-loopback IPv4 address.*RTC_ANNOUNCED_ADDRESS/);
  });

  it('the server exits with code 2 and that one line when nothing is usable', () => {
    // A network namespace with only `lo` is such a host.
    const root = path.resolve(__dirname, '../..');
    const ns = `cfa${process.pid % 100000}`;
    spawnSync('ip', ['netns', 'add', ns]);
    try {
      const result = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'server/src/main.ts'], {
        cwd: root,
        env: { ...process.env, RTC_LISTEN_IP: '0.0.0.0' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/RTC_LISTEN_IP="0\.0\.0\.0".*set RTC_ANNOUNCED_ADDRESS/);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('ICE candidates from a real worker listening on 0.0.0.0', () => {
  let server: TestServer;
  const peers: TestPeer[] = [];
  afterAll(async () => {
    for (const peer of peers) peer.close();
    await server?.close();
  });

  it("carry this host's primary address, on UDP and TCP", async () => {
    const expected = primaryAddress(readHostNetwork(), 4);
    expect(expected, 'this machine has a non-loopback IPv4 address').toBeDefined();
    server = await startTestServer({ RTC_LISTEN_IP: '0.0.0.0' });
    const peer = await TestPeer.connect(server.wsUrl);
    peers.push(peer);
    await peer.join('announce-room', 'A');
    const info = await peer.request('createTransport', { direction: 'recv' });
    const candidates = (info.iceCandidates ?? []) as { address: string; protocol: string; port: number }[];
    expect(candidates.map((c) => c.protocol).sort()).toEqual(['tcp', 'udp']);
    for (const candidate of candidates) {
      expect(candidate.address).toBe(expected);
      const ports = server.pool.slots[0]!.ports[0]!;
      expect(candidate.port).toBe(candidate.protocol === 'udp' ? ports.udp : ports.tcp);
    }
  });
});
