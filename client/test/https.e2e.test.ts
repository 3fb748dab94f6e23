/**
 * HTTPS end to end. Browsers give camera and microphone only to secure contexts: https pages, or
 * localhost. A server on a LAN address therefore needs HTTPS, and HTTPS_CERT=self-signed is the
 * one-setting way to get it. Here the server runs on a test host (its own network namespace, a
 * non-localhost address) with a self-signed certificate, and browsers in the root namespace join over
 * https — with no insecure-origin allowances at all (Chromium without
 * --unsafely-treat-insecure-origin-as-secure, Firefox with its insecure-capture prefs off); they only
 * accept the certificate, as a user clicks through the warning once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import { waitFramesAdvance, waitJoined, waitVideoPlaying } from '../../testkit/page-probes';
import { createTestHost, type TestHost } from '../../testkit/test-host';
import { startServerInHost, type HostServer } from '../../testkit/host-server';
import { httpsGet } from '../../testkit/https-get';

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-https-e2e-'));
let host: TestHost | undefined;
let server: HostServer | undefined;
const browsers: TestBrowser[] = [];
let chromium: TestBrowser;
let firefox: TestBrowser;

beforeAll(async () => {
  host = await createTestHost();
  server = await startServerInHost(host, { HTTPS_CERT: 'self-signed', CONFERO_CACHE_DIR: cacheDir }, { startTimeoutMs: 90_000 });
  // Accept the self-signed certificate — and nothing else: no secureOrigins.
  chromium = await launchBrowser({ browser: 'chromium', chromiumArgs: ['--ignore-certificate-errors'] });
  browsers.push(chromium);
  firefox = await launchBrowser({
    browser: 'firefox',
    acceptInsecureCerts: true,
    firefoxPrefs: { 'media.devices.insecure.enabled': false, 'media.getusermedia.insecure.enabled': false },
  });
  browsers.push(firefox);
}, 180_000);

afterAll(async () => {
  // Everything is closed even if something else failed to: a leaked namespace outlives the test run.
  await Promise.allSettled(browsers.map((b) => b.close()));
  await Promise.allSettled([server?.close()]);
  await Promise.allSettled([host?.close()]);
  fs.rmSync(cacheDir, { recursive: true, force: true });
}, 60_000);

/** The certificate the server made (and cached in our CONFERO_CACHE_DIR). */
function serverCertificate(): string {
  const dir = path.join(cacheDir, 'tls');
  const certs = fs.readdirSync(dir).filter((f) => f.endsWith('.crt'));
  expect(certs).toHaveLength(1);
  return fs.readFileSync(path.join(dir, certs[0]!), 'utf8');
}

interface Participant {
  page: Page;
  peerId: string;
  /** Date.now() just before navigating. */
  startedAt: number;
}

/** What the page was: its origin and security, and every WebSocket it opened (recorded as it made them). */
interface PageSecurity {
  protocol: string;
  origin: string;
  isSecureContext: boolean;
  canCapture: boolean;
  sockets: { url: string; opened: boolean }[];
}

async function join(browser: TestBrowser, room: string, name: string): Promise<Participant> {
  const page = await browser.newParticipant();
  // Record the page's WebSockets without touching the app: wrap the constructor before any script runs.
  await page.evaluateOnNewDocument(() => {
    const sockets: { url: string; opened: boolean }[] = [];
    (globalThis as { __sockets?: unknown }).__sockets = sockets;
    const Native = globalThis.WebSocket;
    globalThis.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        const entry = { url: this.url, opened: false };
        sockets.push(entry);
        this.addEventListener('open', () => (entry.opened = true));
      }
    };
  });
  const startedAt = Date.now();
  await page.goto(`${server!.baseUrl}/?room=${room}&name=${encodeURIComponent(name)}`, { timeout: 30_000 });
  await waitJoined(page, 30_000);
  const peerId = await page.$eval('body', (b) => (b as HTMLElement).dataset.peerId!);
  return { page, peerId, startedAt };
}

function pageSecurity(page: Page): Promise<PageSecurity> {
  return page.evaluate(() => ({
    protocol: location.protocol,
    origin: location.origin,
    isSecureContext: window.isSecureContext,
    // navigator.mediaDevices exists only in secure contexts.
    canCapture: typeof navigator.mediaDevices?.getUserMedia === 'function',
    sockets: (globalThis as unknown as { __sockets: { url: string; opened: boolean }[] }).__sockets,
  }));
}

function expectSecure(security: PageSecurity, label: string): void {
  const origin = `https://${host!.address}:${server!.httpPort}`;
  expect(security, label).toMatchObject({ protocol: 'https:', origin, isSecureContext: true, canCapture: true });
  // Signalling went over wss to the same host, and the socket opened.
  expect(security.sockets.length, label).toBeGreaterThanOrEqual(1);
  for (const socket of security.sockets) expect(socket, label).toEqual({ url: `wss://${host!.address}:${server!.httpPort}/ws`, opened: true });
}

/** Per participant, ms from its navigation until every other one's webcam plays (a size and an advancing clock). */
async function playingTimes(participants: Participant[]): Promise<number[]> {
  return Promise.all(
    participants.map(async (me) => {
      const others = participants.filter((p) => p !== me).map((p) => `${p.peerId}:webcam`);
      const firstPlaying = await waitVideoPlaying(me.page, others, 0.5, 45_000);
      return Math.max(...firstPlaying.values()) - me.startedAt;
    }),
  );
}

async function expectKeepsPlaying(participants: Participant[]): Promise<void> {
  const [a, b] = participants as [Participant, Participant];
  await waitVideoPlaying(a.page, [`${b.peerId}:webcam`], 1, 15_000);
  await waitVideoPlaying(b.page, [`${a.peerId}:webcam`], 1, 15_000);
  await waitFramesAdvance(a.page, [`${b.peerId}:webcam`], 10, 15_000);
  await waitFramesAdvance(b.page, [`${a.peerId}:webcam`], 10, 15_000);
}

describe('HTTPS with a self-signed certificate on a non-localhost address', { timeout: 180_000 }, () => {
  it('the server’s certificate names the test host’s address and verifies', async () => {
    const pem = serverCertificate();
    const cert = new crypto.X509Certificate(pem);
    expect(cert.checkIP(host!.address), cert.subjectAltName).toBe(host!.address);
    // Real verification: the certificate is the only trusted root, and the host is dialled by address.
    const health = await httpsGet(`${server!.baseUrl}/healthz`, pem);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    expect(server!.baseUrl).toBe(`https://${host!.address}:${server!.httpPort}`);
  });

  it('two Chromium participants join over https/wss and see each other’s video playing', async () => {
    const room = `https-chromium-${process.pid}`;
    const participants = await Promise.all([join(chromium, room, 'Ada'), join(chromium, room, 'Grace')]);
    try {
      const times = await playingTimes(participants);
      console.log(`[https] chromium: ${times.map((ms) => `${ms} ms`).join(', ')} (navigation → remote video playing)`);
      for (const [i, p] of participants.entries()) expectSecure(await pageSecurity(p.page), `chromium ${i}`);
      await expectKeepsPlaying(participants);
    } finally {
      await Promise.allSettled(participants.map((p) => p.page.close()));
    }
  });

  it('a Firefox ESR participant calls a Chromium one over https/wss, video both ways', async () => {
    const room = `https-mixed-${process.pid}`;
    const participants = await Promise.all([join(firefox, room, 'Firefox'), join(chromium, room, 'Chromium')]);
    try {
      const [firefoxMs, chromiumMs] = await playingTimes(participants);
      console.log(`[https] firefox: ${firefoxMs} ms, chromium: ${chromiumMs} ms (navigation → remote video playing)`);
      expectSecure(await pageSecurity(participants[0]!.page), 'firefox');
      expectSecure(await pageSecurity(participants[1]!.page), 'chromium');
      await expectKeepsPlaying(participants);
    } finally {
      await Promise.allSettled(participants.map((p) => p.page.close()));
    }
  });
});
