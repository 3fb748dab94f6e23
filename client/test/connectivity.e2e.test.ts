/**
 * Connectivity end to end: a real Confero server on a test host (its own network namespace, reached over
 * a veth pair) and real browsers in the root namespace, so ICE runs over real host candidates instead of
 * loopback — which Firefox does not gather at all — and the host can be firewalled on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import { settledCandidatePairs, waitFramesAdvance, waitJoined, waitVideoPlaying } from '../../testkit/page-probes';
import { createTestHost, dropInboundUdp, type TestHost } from '../../testkit/test-host';
import { startServerInHost, type HostServer } from '../../testkit/host-server';

const hosts: TestHost[] = [];
const servers: HostServer[] = [];
const browsers: TestBrowser[] = [];

let open: { host: TestHost; server: HostServer };
let udpDropped: { host: TestHost; server: HostServer };
let chromium: TestBrowser;
let firefox: TestBrowser;

async function serverOnNewHost(firewall?: string): Promise<{ host: TestHost; server: HostServer }> {
  const host = await createTestHost();
  hosts.push(host);
  if (firewall) await host.firewall(firewall);
  const server = await startServerInHost(host);
  servers.push(server);
  return { host, server };
}

beforeAll(async () => {
  // Both servers start at once: tsx compiling the server is most of the wait. allSettled, so that when
  // one fails the other has finished registering itself for afterAll before we throw.
  const started = await Promise.allSettled([serverOnNewHost(), serverOnNewHost(dropInboundUdp())]);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  [open, udpDropped] = started.map((result) => (result as PromiseFulfilledResult<{ host: TestHost; server: HostServer }>).value) as [typeof open, typeof open];
  // Test hosts are plain http on a non-localhost address: getUserMedia needs them treated as secure.
  chromium = await launchBrowser({ browser: 'chromium', secureOrigins: [open.server.baseUrl, udpDropped.server.baseUrl] });
  browsers.push(chromium);
  firefox = await launchBrowser({ browser: 'firefox' });
  browsers.push(firefox);
}, 180_000);

afterAll(async () => {
  // Everything is closed even if something else failed to: a leaked namespace outlives the test run.
  await Promise.allSettled(browsers.map((b) => b.close()));
  await Promise.allSettled(servers.map((s) => s.close()));
  await Promise.allSettled(hosts.map((h) => h.close()));
}, 60_000);

interface Participant {
  page: Page;
  peerId: string;
  /** Date.now() just before navigating. */
  startedAt: number;
}

async function join(browser: TestBrowser, baseUrl: string, room: string, name: string): Promise<Participant> {
  const page = await browser.newParticipant();
  const startedAt = Date.now();
  await page.goto(`${baseUrl}/?room=${room}&name=${encodeURIComponent(name)}`);
  await waitJoined(page, 30_000);
  const peerId = await page.$eval('body', (b) => (b as HTMLElement).dataset.peerId!);
  return { page, peerId, startedAt };
}

/**
 * Waits until each participant sees every other one's webcam playing (a size and an advancing clock) and
 * returns, per participant, the ms from its navigation to the first remote video playing.
 */
async function playingTimes(participants: Participant[]): Promise<number[]> {
  return Promise.all(
    participants.map(async (me) => {
      const others = participants.filter((p) => p !== me).map((p) => `${p.peerId}:webcam`);
      const firstPlaying = await waitVideoPlaying(me.page, others, 0.5, 30_000);
      return Math.max(...firstPlaying.values()) - me.startedAt;
    }),
  );
}

describe('connectivity through test hosts', { timeout: 180_000 }, () => {
  it('a Chromium and a Firefox ESR participant see each other’s video playing', async () => {
    const room = `conn-mixed-${process.pid}`;
    // Navigate both at once so each time is its own join-to-video, not the wait for the other to arrive.
    const participants = await Promise.all([join(chromium, open.server.baseUrl, room, 'Chromium'), join(firefox, open.server.baseUrl, room, 'Firefox')]);
    const [chromiumMs, firefoxMs] = await playingTimes(participants);
    console.log(`[connectivity] chromium+firefox: chromium ${chromiumMs} ms, firefox ${firefoxMs} ms (navigation → remote video playing)`);

    // Playing, not just present: both clocks keep running, and new frames keep being painted (a
    // MediaStream video's clock runs on even when frames stop coming).
    const [a, b] = participants as [Participant, Participant];
    await waitVideoPlaying(a.page, [`${b.peerId}:webcam`], 1, 15_000);
    await waitVideoPlaying(b.page, [`${a.peerId}:webcam`], 1, 15_000);
    await waitFramesAdvance(a.page, [`${b.peerId}:webcam`], 10, 15_000);
    await waitFramesAdvance(b.page, [`${a.peerId}:webcam`], 10, 15_000);
    await Promise.all(participants.map((p) => p.page.close()));
  });

  it('with inbound UDP dropped at the server’s host, a Chromium call connects over the worker’s TCP port', async () => {
    const { host, server } = udpDropped;
    const room = `conn-tcp-${process.pid}`;
    const participants = await Promise.all([join(chromium, server.baseUrl, room, 'Ada'), join(chromium, server.baseUrl, room, 'Grace')]);
    const times = await playingTimes(participants);
    console.log(`[connectivity] chromium+chromium, inbound UDP dropped: ${times.map((ms) => `${ms} ms`).join(', ')} (navigation → remote video playing)`);

    for (const { page } of participants) {
      const pairs = await settledCandidatePairs(page);
      // Both directions: own webcam and mic (send transport) and the other's (receive transport).
      expect(
        pairs
          .map((p) => p.label)
          .sort()
          .join(' | '),
      ).toMatch(/me · webcam/);
      expect(pairs.filter((p) => p.label.startsWith('me · ')).length).toBeGreaterThanOrEqual(1);
      expect(pairs.filter((p) => !p.label.startsWith('me · ')).length).toBeGreaterThanOrEqual(1);
      for (const pair of pairs) {
        expect(pair.state, pair.label).toBe('succeeded');
        expect(pair.remote, pair.label).toMatchObject({ protocol: 'tcp', address: host.address, port: server.rtcPort });
        expect(pair.local.protocol, pair.label).toBe('tcp');
      }
    }
    // The firewall really was in the way: Chromium tried UDP first and the host dropped it.
    const ruleset = await host.exec('nft', ['list', 'ruleset']);
    const dropped = Number(/udp counter packets (\d+)/.exec(ruleset)?.[1] ?? 0);
    expect(dropped, ruleset).toBeGreaterThan(0);
    await Promise.all(participants.map((p) => p.page.close()));
  });
});
