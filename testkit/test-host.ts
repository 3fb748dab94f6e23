/**
 * Test hosts: a Linux network namespace joined to the root namespace by a veth pair, on a /24 of its own.
 * A server started inside one is a separate machine as far as browsers in the root namespace can tell:
 * they reach it with real host candidates (Firefox gathers none on loopback), and an nftables ruleset in the
 * namespace firewalls only that host. Needs root and iproute2 (nftables for `firewall`).
 *
 *   const host = await createTestHost();
 *   await host.firewall(allowOnlyInboundTcp([3000, 40000]));
 *   const server = await startServerInHost(host);   // host-server.ts
 *   … browsers open server.baseUrl …
 *   await server.close(); await host.close();
 *
 * Names: namespace `confero-th-<owner pid>-<n>`, unique per process; root-side link `cth<subnet hex>h`
 * (15 characters at most: no room for a pid, but creating it is the atomic claim of its subnet, so two
 * runs never share one) with alias `confero-th pid=<owner pid>`. The namespace's end of the pair is born
 * inside it, so deleting the namespace deletes the pair. close(), the process's exit, or a signal ending
 * it removes what is open; leftovers of crashed runs are recognised by these names and removed only when
 * their owner process is gone; nothing else on the machine is ever touched.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

const NS_PREFIX = 'confero-th-';
const NS_NAME = /^confero-th-(\d+)-\d+$/;
const LINK_NAME = /^cth[0-9a-f]{4}h$/;
const LINK_ALIAS = /^confero-th pid=(\d+)$/;
/** Subnets 10.128.0.0/24 … 10.255.255.0/24: 2^15 slots, away from the 10.0.x.y that real networks favour. */
const SLOTS = 1 << 15;

export interface TestHostOptions {
  /** Also add a default route via the gateway inside the namespace (default true; harmless, lets a host reach others through the root namespace if it forwards). */
  defaultRoute?: boolean;
}

export interface SpawnInHostOptions {
  /** Merged over process.env. */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface TestHost {
  /** The namespace's name (for `ip netns exec NAME …` by hand). */
  readonly name: string;
  /** The namespace side of the veth, e.g. 10.131.7.2: what servers inside bind to and browsers dial. */
  readonly address: string;
  /** The root-namespace side, e.g. 10.131.7.1: where traffic from browsers on this machine comes from. */
  readonly gateway: string;
  /** e.g. 10.131.7.0/24 */
  readonly subnet: string;
  /** Starts `command args` inside the namespace in its own process group; killed (group-wide) on close(). */
  spawn(command: string, args?: string[], options?: SpawnInHostOptions): ChildProcess;
  /** Runs a command inside the namespace to completion; rejects with its stderr on a non-zero exit. */
  exec(command: string, args?: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Replaces the namespace's whole nftables ruleset with `rules` (nft syntax); '' removes the firewall. */
  firewall(rules: string): Promise<void>;
  /** Kills the processes it started, then deletes the veth pair and the namespace. Idempotent. */
  close(): Promise<void>;
}

/** nftables ruleset: drop every inbound UDP packet (except on lo). TCP, ICMP and all outbound traffic pass. */
export function dropInboundUdp(): string {
  return `table inet confero_test {
  chain input {
    type filter hook input priority 0; policy accept;
    iif "lo" accept
    meta l4proto udp counter drop
  }
}`;
}

/**
 * nftables ruleset: drop all inbound UDP and inbound TCP except to `ports`, keeping lo and replies to the
 * host's own connections (established/related). ICMP passes, so errors still come back fast.
 */
export function allowOnlyInboundTcp(ports: number[]): string {
  for (const port of ports) if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`allowOnlyInboundTcp: bad port ${port}`);
  const allowed = ports.length > 0 ? `    tcp dport { ${ports.join(', ')} } accept\n` : '';
  return `table inet confero_test {
  chain input {
    type filter hook input priority 0; policy accept;
    iif "lo" accept
    ct state established,related accept
${allowed}    meta l4proto { tcp, udp } counter drop
  }
}`;
}

function ip(args: string[], input?: string): Promise<string> {
  return exec('ip', args, input);
}

async function exec(command: string, args: string[], input?: string, timeoutMs = 20_000): Promise<string> {
  const child = run(command, args, { timeout: timeoutMs, encoding: 'utf8' });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    return (await child).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('test hosts need root (network namespaces and veth pairs): run the tests as root');
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('test hosts need the `ip` command: apt-get install iproute2');
  }
}

/** Removes namespaces and links of this helper whose owner process no longer exists. */
export async function removeStaleTestHosts(): Promise<void> {
  const names = fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : [];
  for (const name of names) {
    const owner = NS_NAME.exec(name);
    if (!owner || alive(Number(owner[1]))) continue;
    // Orphaned servers of a crashed run would keep the namespace (and its veth) alive: end them first.
    const pids = (await ip(['netns', 'pids', name]).catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) killQuietly(pid, 'SIGKILL');
    await ip(['netns', 'del', name]).catch(() => undefined);
  }
  const links = JSON.parse((await ip(['-j', 'link', 'show'])) || '[]') as { ifname: string; ifalias?: string }[];
  for (const link of links) {
    const owner = LINK_ALIAS.exec(link.ifalias ?? '');
    if (!LINK_NAME.test(link.ifname) || !owner || alive(Number(owner[1]))) continue;
    await ip(['link', 'del', link.ifname]).catch(() => undefined);
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** IPv4 prefixes already routed or assigned on this machine, as [network, mask] pairs. */
async function usedPrefixes(): Promise<[number, number][]> {
  const toInt = (a: string): number => a.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
  const maskOf = (bits: number): number => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
  const routes = JSON.parse((await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as { dst: string }[];
  const out: [number, number][] = [];
  for (const { dst } of routes) {
    if (!dst || dst === 'default' || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst)) continue;
    const [addr, bits = '32'] = dst.split('/');
    const mask = maskOf(Number(bits));
    if (Number(bits) >= 8) out.push([(toInt(addr!) & mask) >>> 0, mask]);
  }
  return out;
}

function slotSubnet(slot: number): { a: number; b: number; network: number } {
  const a = 128 + (slot >> 8);
  const b = slot & 255;
  return { a, b, network: ((10 << 24) | (a << 16) | (b << 8)) >>> 0 };
}

let sequence = 0;
const openHosts = new Set<TestHost>();

/** Creates a test host. The subnet is unique on the machine: claiming it is creating its link, which is atomic. */
export async function createTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  checkPrerequisites();
  await removeStaleTestHosts();
  const used = await usedPrefixes();
  const pool = Number(process.env.VITEST_POOL_ID ?? '0');
  // Start where this process (pid) and fork (pool id) point, so parallel files rarely even try the same slot.
  const start = ((process.pid * 131 + pool * 7919 + sequence * 17) >>> 0) % SLOTS;
  const name = `${NS_PREFIX}${process.pid}-${sequence++}`;
  await ip(['netns', 'add', name]);
  try {
    for (let i = 0; i < 256; i++) {
      const slot = (start + i) % SLOTS;
      const { a, b, network } = slotSubnet(slot);
      if (used.some(([net, mask]) => (network & mask) >>> 0 === net || (net & 0xffffff00) >>> 0 === network)) continue;
      const link = `cth${slot.toString(16).padStart(4, '0')}h`;
      try {
        // The peer is born inside the namespace: no second root-namespace name to clash or leak.
        await ip(['link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
      } catch (error) {
        if (/exists/i.test(String(error))) continue; // another run holds this subnet
        throw error;
      }
      const host = await configure(name, link, `10.${a}.${b}`, options);
      openHosts.add(host);
      return host;
    }
    throw new Error('no free 10.128.0.0/9 subnet for a test host after 256 tries');
  } catch (error) {
    await ip(['netns', 'del', name]).catch(() => undefined);
    throw error;
  }
}

async function configure(name: string, link: string, prefix: string, options: TestHostOptions): Promise<TestHost> {
  const address = `${prefix}.2`;
  const gateway = `${prefix}.1`;
  const inNs = (args: string[]): Promise<string> => ip(['netns', 'exec', name, 'ip', ...args]);
  await ip(['link', 'set', 'dev', link, 'alias', `confero-th pid=${process.pid}`]);
  await ip(['addr', 'add', `${gateway}/24`, 'dev', link]);
  await ip(['link', 'set', 'dev', link, 'up']);
  await inNs(['link', 'set', 'dev', 'lo', 'up']);
  await inNs(['addr', 'add', `${address}/24`, 'dev', 'eth0']);
  await inNs(['link', 'set', 'dev', 'eth0', 'up']);
  if (options.defaultRoute ?? true) await inNs(['route', 'add', 'default', 'via', gateway]);

  const children = new Set<ChildProcess>();
  let closed = false;
  const host: TestHost = {
    name,
    address,
    gateway,
    subnet: `${prefix}.0/24`,
    spawn(command, args = [], spawnOptions = {}) {
      if (closed) throw new Error(`test host ${name} is closed`);
      // detached: its own process group, so close() also ends whatever the command forks (tsx → node → workers).
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], {
        cwd: spawnOptions.cwd,
        env: { ...process.env, ...spawnOptions.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    exec(command, args = [], execOptions = {}) {
      return exec('ip', ['netns', 'exec', name, command, ...args], execOptions.input, execOptions.timeoutMs);
    },
    async firewall(rules) {
      try {
        execFileSync('nft', ['--version'], { stdio: 'ignore' });
      } catch {
        throw new Error('test host firewalls need the `nft` command: apt-get install nftables');
      }
      // flush first: each call states the whole ruleset, so rules never pile up across calls.
      await host.exec('nft', ['-f', '-'], { input: `flush ruleset\n${rules}\n` });
    },
    async close() {
      if (closed) return;
      closed = true;
      openHosts.delete(host);
      await Promise.all([...children].map((child) => stopGroup(child, 3000)));
      await ip(['link', 'del', link]).catch(() => undefined);
      await ip(['netns', 'del', name]).catch(() => undefined);
    },
  };
  return host;
}

/** SIGTERM to the child's process group, SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killQuietly(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => killQuietly(-child.pid!, 'SIGKILL'), graceMs);
  await Promise.race([exited, sleep(graceMs + 2000)]);
  clearTimeout(timer);
  // The leader may be gone while children of its group linger: make sure the whole group is.
  killQuietly(-child.pid, 'SIGKILL');
}

/** Kills what runs in the still-open hosts and deletes them (and so their veth pairs), synchronously. */
function removeOpenHosts(): void {
  for (const host of openHosts) {
    try {
      execFileSync('ip', ['netns', 'pids', host.name], { encoding: 'utf8' })
        .split(/\s+/)
        .filter(Boolean)
        .forEach((pid) => killQuietly(Number(pid), 'SIGKILL'));
      execFileSync('ip', ['netns', 'del', host.name], { stdio: 'ignore' });
    } catch {
      // best effort; the next run's removeStaleTestHosts() finishes the job
    }
  }
  openHosts.clear();
}

// A test file that dies without afterAll: remove what is still open (exit handlers cannot wait).
process.once('exit', removeOpenHosts);
// Ended by a signal (Ctrl-C on the run), 'exit' does not fire: clean up, then die of that signal as
// before — unless someone else (the test runner) handles it, then it is theirs to end the process.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  if (process.listenerCount(signal) > 0) continue;
  process.once(signal, () => {
    removeOpenHosts();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}
