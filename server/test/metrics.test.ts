/**
 * GET /metrics against a real server (real workers, real /ws) and mediasoup-client fake-handler peers:
 * the gauges follow peers joining, publishing and leaving; requests and error answers are counted by
 * method and code; joins land in the histogram; each live worker reports its CPU and RSS under its real
 * pid; and two apps in one process keep their metrics apart.
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../protocol/src';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { until } from '../../testkit/until';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
}

/** Prometheus text format 0.0.4: `name{label="value",…} number` lines and `# TYPE name type` comments. */
function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]);
    samples.push({ name: match[1]!, labels, value });
  }
  return { samples, types };
}

async function scrape(server: TestServer): Promise<Exposition & { value(name: string, labels?: Record<string, string>): number }> {
  const response = await fetch(`${server.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const exposition = parseExposition(await response.text());
  return {
    ...exposition,
    /** The one sample with that name and exactly those labels; throws if absent, so a missing series fails loudly. */
    value(name, labels = {}) {
      const found = exposition.samples.filter(
        (s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
      return found[0]!.value;
    },
  };
}

let server: TestServer;
const peers: TestPeer[] = [];
let roomSeq = 0;
const freshRoom = (): string => `metrics-${process.pid}-${++roomSeq}`;

async function peer(room?: string, name = 'peer', on: TestServer = server): Promise<TestPeer> {
  const p = await TestPeer.connect(on.wsUrl);
  peers.push(p);
  if (room) await p.join(room, name);
  return p;
}

beforeAll(async () => {
  server = await startTestServer({ MEDIASOUP_NUM_WORKERS: '2' });
});
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  // Every test starts with no rooms: the empty-room grace (200 ms in tests) has to pass first.
  await until(() => server.directory.list().length === 0);
});
afterAll(() => server?.close());

describe('/metrics', () => {
  it('rooms, peers, transports, producers and consumers follow peers joining, publishing and leaving', async () => {
    const idle = await scrape(server);
    expect(idle.value('confero_rooms')).toBe(0);
    expect(idle.value('confero_peers')).toBe(0);
    expect(idle.value('confero_transports')).toBe(0);
    for (const kind of ['audio', 'video']) {
      expect(idle.value('confero_producers', { kind })).toBe(0);
      expect(idle.value('confero_consumers', { kind })).toBe(0);
    }
    const joinsBefore = idle.value('confero_join_duration_seconds_count');

    const room = freshRoom();
    const alice = await peer(room, 'alice');
    const bob = await peer(room, 'bob');
    const joined = await scrape(server);
    expect(joined.value('confero_rooms')).toBe(1);
    expect(joined.value('confero_peers')).toBe(2);
    expect(joined.value('confero_join_duration_seconds_count')).toBe(joinsBefore + 2);
    expect(joined.value('confero_join_duration_seconds_sum')).toBeGreaterThan(0);
    expect(joined.value('confero_join_duration_seconds_bucket', { le: '+Inf' })).toBe(joinsBefore + 2);

    // alice publishes a mic and a webcam; bob receives both.
    await bob.createRecvTransport();
    await alice.publish('mic');
    await alice.publish('webcam');
    await bob.waitFor('newConsumer', (d) => d.kind === 'audio');
    await bob.waitFor('newConsumer', (d) => d.kind === 'video');
    const publishing = await scrape(server);
    expect(publishing.value('confero_transports')).toBe(2);
    expect(publishing.value('confero_producers', { kind: 'audio' })).toBe(1);
    expect(publishing.value('confero_producers', { kind: 'video' })).toBe(1);
    expect(publishing.value('confero_consumers', { kind: 'audio' })).toBe(1);
    expect(publishing.value('confero_consumers', { kind: 'video' })).toBe(1);

    // A second room with one more peer counts on top.
    await peer(freshRoom(), 'carol');
    const twoRooms = await scrape(server);
    expect(twoRooms.value('confero_rooms')).toBe(2);
    expect(twoRooms.value('confero_peers')).toBe(3);

    // bob leaves: his transport and consumers go; alice's room stays open.
    await bob.request('leave', {});
    const bobLeft = await scrape(server);
    expect(bobLeft.value('confero_peers')).toBe(2);
    expect(bobLeft.value('confero_transports')).toBe(1);
    expect(bobLeft.value('confero_consumers', { kind: 'audio' })).toBe(0);
    expect(bobLeft.value('confero_consumers', { kind: 'video' })).toBe(0);
    expect(bobLeft.value('confero_producers', { kind: 'video' })).toBe(1);

    // Everyone gone: once the empty-room grace passes, nothing is left.
    for (const p of peers) p.close();
    await until(async () => (await scrape(server)).value('confero_rooms') === 0);
    const empty = await scrape(server);
    expect(empty.value('confero_peers')).toBe(0);
    expect(empty.value('confero_transports')).toBe(0);
    for (const kind of ['audio', 'video']) {
      expect(empty.value('confero_producers', { kind })).toBe(0);
      expect(empty.value('confero_consumers', { kind })).toBe(0);
    }
  });

  it('counts requests by method and error answers by method and code', async () => {
    const before = await scrape(server);
    const messages = (method: string, at = before): number => at.value('confero_ws_messages_total', { method });
    const errors = (method: string, code: string, at = before): number => {
      const found = at.samples.find((s) => s.name === 'confero_ws_errors_total' && s.labels.method === method && s.labels.code === code);
      return found?.value ?? 0;
    };

    const alice = await peer(freshRoom(), 'alice'); // getRouterRtpCapabilities + join
    const notFound = await alice.raw('closeProducer', { producerId: 'no-such-producer' });
    expect(notFound.ok ? undefined : notFound.error.code).toBe('not_found');
    const badRequest = await alice.raw('createTransport', { direction: 'sideways' });
    expect(badRequest.ok ? undefined : badRequest.error.code).toBe('bad_request');
    const unknown = await alice.raw('teleport', {});
    expect(unknown.ok ? undefined : unknown.error.code).toBe('unknown_method');
    const garbage = await alice.rawText('{"id": 77, this is not json', 77);
    expect(garbage.ok ? undefined : garbage.error.code).toBe('invalid_message');
    const stranger = await peer();
    const wrongVersion = await stranger.raw('join', { protocolVersion: PROTOCOL_VERSION + 1, room: freshRoom(), displayName: 'x', rtpCapabilities: {} });
    expect(wrongVersion.ok ? undefined : wrongVersion.error.code).toBe('version_mismatch');

    const after = await scrape(server);
    expect(messages('getRouterRtpCapabilities', after) - messages('getRouterRtpCapabilities')).toBe(1);
    expect(messages('join', after) - messages('join')).toBe(2);
    expect(messages('closeProducer', after) - messages('closeProducer')).toBe(1);
    expect(messages('createTransport', after) - messages('createTransport')).toBe(1);
    expect(messages('invalid', after) - messages('invalid')).toBe(2);
    expect(errors('closeProducer', 'not_found', after) - errors('closeProducer', 'not_found')).toBe(1);
    expect(errors('createTransport', 'bad_request', after) - errors('createTransport', 'bad_request')).toBe(1);
    expect(errors('invalid', 'unknown_method', after) - errors('invalid', 'unknown_method')).toBe(1);
    expect(errors('invalid', 'invalid_message', after) - errors('invalid', 'invalid_message')).toBe(1);
    expect(errors('join', 'version_mismatch', after) - errors('join', 'version_mismatch')).toBe(1);
    // Successful requests are no errors, and a client's made-up method name never becomes a label.
    expect(errors('getRouterRtpCapabilities', 'internal', after)).toBe(0);
    expect(after.samples.filter((s) => s.labels.method === 'teleport')).toEqual([]);
    // Only the successful join is in the histogram.
    expect(after.value('confero_join_duration_seconds_count') - before.value('confero_join_duration_seconds_count')).toBe(1);
    expect(after.types.get('confero_ws_messages_total')).toBe('counter');
    expect(after.types.get('confero_ws_errors_total')).toBe('counter');
    expect(after.types.get('confero_join_duration_seconds')).toBe('histogram');
  });

  it('reports CPU seconds and current RSS of each live worker under its real pid', async () => {
    const series = (exposition: Exposition, name: string): Sample[] => exposition.samples.filter((s) => s.name === name);
    const expectLiveWorkers = async (): Promise<Exposition> => {
      const exposition = await scrape(server);
      const live = server.pool.slots.map((slot) => ({ worker: String(slot.index), pid: String(slot.worker.pid) }));
      expect(live).toHaveLength(2);
      for (const name of ['confero_worker_cpu_seconds_total', 'confero_worker_rss_bytes']) {
        expect(
          series(exposition, name)
            .map((s) => s.labels)
            .sort((a, b) => a.worker!.localeCompare(b.worker!)),
        ).toEqual(live);
      }
      for (const { value } of series(exposition, 'confero_worker_cpu_seconds_total')) expect(value).toBeGreaterThan(0);
      for (const { value } of series(exposition, 'confero_worker_rss_bytes')) expect(value).toBeGreaterThan(1024 * 1024);
      return exposition;
    };
    const first = await expectLiveWorkers();
    expect(first.types.get('confero_worker_cpu_seconds_total')).toBe('counter');
    expect(first.types.get('confero_worker_rss_bytes')).toBe('gauge');

    // A killed worker's series go; its replacement appears under its own pid.
    const victim = server.pool.slots[1]!;
    const oldPid = String(victim.worker.pid);
    const replaced = once(server.pool, 'workerReplaced');
    process.kill(victim.worker.pid, 'SIGKILL');
    await replaced;
    const after = await expectLiveWorkers();
    expect(after.samples.filter((s) => s.labels.pid === oldPid)).toEqual([]);
  });

  it("includes prom-client's process metrics", async () => {
    const exposition = await scrape(server);
    expect(exposition.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(exposition.value('process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(exposition.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(exposition.samples.some((s) => s.name === 'nodejs_heap_size_used_bytes' && s.value > 0)).toBe(true);
    expect(exposition.samples.some((s) => s.name === 'nodejs_version_info' && s.labels.version === process.version)).toBe(true);
  });

  it('keeps the metrics of two apps in one process apart', async () => {
    const other = await startTestServer({});
    try {
      const otherBefore = await scrape(other);
      await peer(freshRoom(), 'only-here');
      const here = await scrape(server);
      const there = await scrape(other);
      expect(here.value('confero_peers')).toBe(1);
      expect(there.value('confero_peers')).toBe(0);
      expect(there.value('confero_rooms')).toBe(0);
      expect(there.value('confero_ws_messages_total', { method: 'join' })).toBe(otherBefore.value('confero_ws_messages_total', { method: 'join' }));
      expect(there.value('confero_join_duration_seconds_count')).toBe(0);
      // Each app reports its own workers only.
      const pids = (exposition: Exposition): string[] =>
        exposition.samples
          .filter((s) => s.name === 'confero_worker_rss_bytes')
          .map((s) => s.labels.pid!)
          .sort();
      expect(pids(there)).toEqual(other.pool.slots.map((slot) => String(slot.worker.pid)).sort());
      expect(pids(here)).toEqual(server.pool.slots.map((slot) => String(slot.worker.pid)).sort());
      // The other app has its own process metrics too (no clash over names on a shared registry).
      expect(there.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it('with METRICS_TOKEN, answers only a scrape that carries it as a bearer token', async () => {
    const token = 'scrape-token-0123456789';
    const guarded = await startTestServer({ METRICS_TOKEN: token });
    try {
      const url = `${guarded.baseUrl}/metrics`;
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${token}`, token, `Bearer ${token}x`]) {
        const response = await fetch(url, authorization ? { headers: { authorization } } : {});
        expect(response.status, String(authorization)).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        const body = await response.text();
        expect(JSON.parse(body)).toMatchObject({ error: { code: 'unauthorized' } });
        expect(body).not.toContain('confero_');
      }
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('confero_rooms 0');
    } finally {
      await guarded.close();
    }
  });
});
