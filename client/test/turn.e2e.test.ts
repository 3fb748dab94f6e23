/**
 * TURN end to end: real coturn (started by the project's own launcher), real Chromium, real Confero server.
 * Calls are relayed over TURN/UDP, TURN/TCP and TURNS (forced with ?relay=1 on loopback), and through
 * TURN/TCP on its own when a test host's firewall lets nothing else through; and when no path works at
 * all, the page says so (body[data-media="failed"] and a `.media-problem` notice) and keeps trying.
 * Every test proves its path twice: from the browser (the selected ICE pairs' local candidates) and from
 * coturn (its log shows an allocation for each participant's peer id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer';
import { selfSigned } from '../../server/src/edge/tls';
import { startTestCoturn, TEST_TURN_SECRET, waitForLog, type TestCoturn } from '../../testkit/coturn';
import { startTestServer } from '../../testkit/server';
import { launchBrowser, type LaunchBrowserOptions, type TestBrowser } from '../../testkit/browser';
import { settledCandidatePairs, waitJoined, waitVideoPlaying, type SelectedPair } from '../../testkit/page-probes';
import { allowOnlyInboundTcp, createTestHost, type TestHost } from '../../testkit/test-host';
import { startServerInHost, type HostServer } from '../../testkit/host-server';

/** Undone last-in first-out in afterAll, whatever failed: browsers, then servers, then coturn, then hosts. */
const cleanups: { what: string; run: () => Promise<unknown> }[] = [];
const later = <T>(what: string, value: T, run: (value: T) => Promise<unknown>): T => {
  cleanups.push({ what, run: () => run(value) });
  return value;
};

const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-turn-e2e-'));
let coturn: TestCoturn; // on loopback, UDP+TCP and TLS: tests 1, 2 and 4
let chromium: TestBrowser;

beforeAll(async () => {
  const pems = await selfSigned(['localhost', '127.0.0.1']);
  fs.writeFileSync(path.join(certDir, 'cert.pem'), pems.cert);
  fs.writeFileSync(path.join(certDir, 'key.pem'), pems.key, { mode: 0o600 });
  coturn = later(
    'loopback coturn',
    await startTestCoturn({ TURN_TLS_CERT: path.join(certDir, 'cert.pem'), TURN_TLS_KEY: path.join(certDir, 'key.pem') }, ['127.0.0.1']),
    (c) => c.stop(),
  );
  chromium = await browser();
}, 120_000);

afterAll(async () => {
  for (const { what, run } of cleanups.reverse()) {
    await run().catch((error: unknown) => process.stderr.write(`[turn] cleanup of ${what} failed: ${String(error)}\n`));
  }
  fs.rmSync(certDir, { recursive: true, force: true });
}, 120_000);

async function browser(options: LaunchBrowserOptions = {}): Promise<TestBrowser> {
  return later('browser', await launchBrowser(options), (b) => b.close());
}

/** A Confero server on loopback whose join answers carry TURN credentials for `turnUrls`. */
async function loopbackServer(turnUrls: string): Promise<string> {
  const server = await startTestServer({ ALLOW_PLAIN_TRANSPORTS: 'false', TURN_SECRET: TEST_TURN_SECRET, TURN_URLS: turnUrls });
  return later('loopback server', server, (s) => s.close()).baseUrl;
}

/** A test host with coturn (optional) and a Confero server inside; firewalled after both are up. */
async function hostWith(options: { turn: boolean; firewall: (ports: { http: number; turn: number }) => string }) {
  const host = later('test host', await createTestHost(), (h) => h.close());
  let hostCoturn: TestCoturn | undefined;
  let env: Record<string, string> = {};
  if (options.turn) {
    hostCoturn = later(
      'coturn in test host',
      await startTestCoturn({ RTC_LISTEN_IP: host.address, TURN_LISTEN_IP: host.address }, [host.address], ['ip', 'netns', 'exec', host.name]),
      (c) => c.stop(),
    );
    const port = hostCoturn.config.turn.port;
    env = { TURN_SECRET: TEST_TURN_SECRET, TURN_URLS: `turn:${host.address}:${port}?transport=udp,turn:${host.address}:${port}?transport=tcp` };
  }
  const server: HostServer = later('server in test host', await startServerInHost(host, env), (s) => s.close());
  await host.firewall(options.firewall({ http: server.httpPort, turn: hostCoturn?.config.turn.port ?? 0 }));
  return { host, server, coturn: hostCoturn, turnUrls: env.TURN_URLS?.split(',') ?? [] };
}

interface Participant {
  page: Page;
  peerId: string;
  /** Date.now() just before navigating. */
  startedAt: number;
}

async function join(b: TestBrowser, baseUrl: string, room: string, name: string, extra = ''): Promise<Participant> {
  const page = await b.newParticipant();
  const startedAt = Date.now();
  await page.goto(`${baseUrl}/?room=${room}&name=${encodeURIComponent(name)}${extra}`);
  await waitJoined(page, 30_000);
  const peerId = await page.$eval('body', (body) => (body as HTMLElement).dataset.peerId!);
  return { page, peerId, startedAt };
}

/**
 * Two participants join at once and each sees the other's webcam playing. Logs and returns, per
 * participant, the ms from navigation to the remote video playing.
 */
async function call(label: string, b: TestBrowser, baseUrl: string, extra: string): Promise<Participant[]> {
  const room = `turn-${label.replace(/\W+/g, '-')}-${process.pid}`;
  const participants = await Promise.all([join(b, baseUrl, room, 'Ada', extra), join(b, baseUrl, room, 'Grace', extra)]);
  const times = await Promise.all(
    participants.map(async (me) => {
      const others = participants.filter((p) => p !== me).map((p) => `${p.peerId}:webcam`);
      const first = await waitVideoPlaying(me.page, others, 0.5, 45_000);
      return Math.max(...first.values()) - me.startedAt;
    }),
  );
  console.log(`[turn] ${label}: ${times.map((ms) => `${ms} ms`).join(', ')} (navigation → remote video playing)`);
  return participants;
}

/**
 * Every selected pair of every participant runs over a relay candidate reaching TURN by `relayProtocol`,
 * in both directions, and the page reports media connected with no problem notice.
 */
async function expectRelayed(participants: Participant[], relayProtocol: 'udp' | 'tcp' | 'tls'): Promise<SelectedPair[]> {
  const all: SelectedPair[] = [];
  for (const { page } of participants) {
    const pairs = await settledCandidatePairs(page);
    expect(pairs.filter((p) => p.label.startsWith('me · ')).length, JSON.stringify(pairs)).toBeGreaterThanOrEqual(1);
    expect(pairs.filter((p) => !p.label.startsWith('me · ')).length, JSON.stringify(pairs)).toBeGreaterThanOrEqual(1);
    for (const pair of pairs) {
      expect(pair.state, pair.label).toBe('succeeded');
      expect(pair.local, pair.label).toMatchObject({ candidateType: 'relay', relayProtocol });
    }
    expect(await page.$eval('body', (body) => (body as HTMLElement).dataset.media)).toBe('connected');
    expect(await noticeShown(page)).toBe(false);
    all.push(...pairs);
  }
  return all;
}

/** coturn's own log: an allocation succeeded for each participant's credential (`<expiry>:<peer id>`). */
async function expectAllocations(turn: TestCoturn, participants: Participant[]): Promise<string> {
  let log = '';
  for (const { peerId } of participants) {
    const allocated = new RegExp(`user <\\d+:${escapeRegExp(peerId)}>: incoming packet ALLOCATE processed, success`);
    log = await waitForLog(turn, allocated, 10_000);
    expect(log, `coturn allocated for ${peerId}`).toMatch(allocated);
  }
  return log;
}

const escapeRegExp = (text: string): string => text.replace(/[^\w-]/g, '\\$&');

/** Packets the test host's firewall dropped so far (allowOnlyInboundTcp has one counter). */
async function droppedPackets(host: TestHost): Promise<number> {
  const ruleset = await host.exec('nft', ['list', 'ruleset']);
  return Number(/counter packets (\d+)/.exec(ruleset)?.[1] ?? 0);
}

const noticeShown = (page: Page): Promise<boolean> =>
  page.$eval('.media-problem', (el) => !(el as HTMLElement).hidden && (el as HTMLElement).checkVisibility() && el.getBoundingClientRect().height > 0);

const closeAll = (participants: Participant[]): Promise<unknown> => Promise.all(participants.map((p) => p.page.close()));

describe('calls relayed through coturn', { timeout: 240_000 }, () => {
  it('TURN/UDP, forced relay: both directions run over UDP relay candidates', async () => {
    const { port } = coturn.config.turn;
    const baseUrl = await loopbackServer(`turn:127.0.0.1:${port}?transport=udp`);
    const participants = await call('relay udp', chromium, baseUrl, '&relay=1');
    const pairs = await expectRelayed(participants, 'udp');
    for (const pair of pairs) expect(pair.local.protocol, pair.label).toBe('udp');
    await expectAllocations(coturn, participants);
    await closeAll(participants);
  });

  it('TURN/TCP, forced relay: both directions run over TCP relay candidates', async () => {
    const { port } = coturn.config.turn;
    const baseUrl = await loopbackServer(`turn:127.0.0.1:${port}?transport=tcp`);
    const participants = await call('relay tcp', chromium, baseUrl, '&relay=1');
    await expectRelayed(participants, 'tcp');
    await expectAllocations(coturn, participants);
    await closeAll(participants);
  });

  it('when the host lets only TCP to coturn through, an ordinary join relays over TURN/TCP', async () => {
    const { host, server, coturn: hostCoturn } = await hostWith({ turn: true, firewall: (p) => allowOnlyInboundTcp([p.http, p.turn]) });
    const b = await browser({ secureOrigins: [server.baseUrl] });
    const participants = await call('only tcp to coturn (no relay=1)', b, server.baseUrl, '');
    const pairs = await expectRelayed(participants, 'tcp');
    // coturn relays to the SFU's own port inside the host, over UDP.
    for (const pair of pairs) expect(pair.remote, pair.label).toMatchObject({ address: host.address, port: server.rtcPort });
    await expectAllocations(hostCoturn!, participants);
    // The firewall was really in the way: UDP (to coturn and to the SFU) and TCP to the SFU were dropped.
    expect(await droppedPackets(host)).toBeGreaterThan(0);
    await closeAll(participants);
  });

  it('TURNS (TLS to coturn), forced relay, with Chromium ignoring the test certificate’s issuer', async () => {
    const { tlsPort } = coturn.config.turn;
    const baseUrl = await loopbackServer(`turns:localhost:${tlsPort}?transport=tcp`);
    const b = await browser({ chromiumArgs: ['--ignore-certificate-errors'] });
    const participants = await call('relay tls', b, baseUrl, '&relay=1');
    await expectRelayed(participants, 'tls');
    const log = await expectAllocations(coturn, participants);
    // …over TLS: coturn logs each session's TLS version next to the participant's credential.
    for (const { peerId } of participants) expect(log).toMatch(new RegExp(`username=<\\d+:${escapeRegExp(peerId)}>, .*method=TLSv1\\.[23]`));
    await closeAll(participants);
  });
});

describe('when ICE fails on every path the page says so and keeps trying', { timeout: 240_000 }, () => {
  /** Joins alone (publishing mic and camera starts ICE); returns the page once it reports media failed. */
  async function joinAndFail({ host, server }: { host: TestHost; server: HostServer }, label: string): Promise<{ page: Page; text: string }> {
    const b = await browser({ secureOrigins: [server.baseUrl] });
    const { page, startedAt } = await join(b, server.baseUrl, `turn-fail-${process.pid}`, 'Ada');
    await page.waitForSelector('body[data-media="failed"]', { timeout: 60_000 });
    console.log(`[turn] ${label}: media reported failed after ${Date.now() - startedAt} ms`);
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('.media-problem')!.hidden, { timeout: 5_000 });
    expect(await noticeShown(page)).toBe(true);
    const text = await page.$eval('.media-problem', (el) => el.textContent ?? '');
    // It keeps trying (ICE restarts, then rejoins): still in the call 10 s later, never given up.
    await sleep(10_000);
    const after = await page.evaluate(() => ({
      page: document.body.dataset.state,
      session: document.querySelector<HTMLElement>('header .state')?.dataset.value,
      media: document.body.dataset.media,
    }));
    expect(['joined', 'reconnecting'], JSON.stringify(after)).toContain(after.page);
    expect(after.session, JSON.stringify(after)).not.toBe('closed');
    expect(after.media, JSON.stringify(after)).not.toBe('connected');
    expect(await noticeShown(page)).toBe(true);
    // The browser did try: its ICE checks (and TURN requests) hit the firewall.
    expect(await droppedPackets(host)).toBeGreaterThan(0);
    return { page, text };
  }

  it('without TURN: the notice blames a firewall and suggests a TURN relay', async () => {
    const setup = await hostWith({ turn: false, firewall: (p) => allowOnlyInboundTcp([p.http]) });
    const { page, text } = await joinAndFail(setup, 'no path, no TURN');
    expect(text).toMatch(/firewall/i);
    expect(text).toMatch(/TURN/);
    expect(text).toContain(setup.host.address);
    await page.close();
  });

  it('with TURN offered but blocked too: the notice names the TURN relay and its URLs', async () => {
    const setup = await hostWith({ turn: true, firewall: (p) => allowOnlyInboundTcp([p.http]) });
    const { page, text } = await joinAndFail(setup, 'no path, TURN blocked');
    expect(text).toMatch(/firewall/i);
    expect(text).toMatch(/TURN relay/);
    expect(setup.turnUrls).toHaveLength(2);
    for (const url of setup.turnUrls) expect(text).toContain(url);
    // Blocked really: coturn never allocated anything.
    expect(setup.coturn!.coturn.output()).not.toContain('ALLOCATE processed, success');
    await page.close();
  });
});
