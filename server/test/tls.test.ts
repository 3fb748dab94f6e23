/**
 * HTTPS/WSS certificates (server/src/edge/tls.ts): HTTPS_CERT=self-signed makes a certificate for every
 * name and address of this host, keeps its key private, caches it and renews it shortly before it
 * expires; HTTPS_CERT/HTTPS_KEY files are served as given. Then a real server on that certificate,
 * checked with real TLS verification (the generated certificate as the only trusted CA): /healthz over
 * https and a signalling request over wss.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { generate } from 'selfsigned';
import { loadTls, selfSigned, type TlsFiles } from '../src/edge/tls';
import { testConfig } from '../../testkit/config';
import { startTestServer, type TestServer } from '../../testkit/server';
import { httpsGet } from '../../testkit/https-get';

const tempDirs: string[] = [];
const savedCacheDir = process.env.CONFERO_CACHE_DIR;
let cacheDir: string;

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A log that remembers what it was told (loadTls says when it made a certificate). */
function recordingLog(): { info: (message: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { info: (message) => lines.push(message), lines };
}

/** The cached key and certificate files loadTls wrote (exactly one pair expected). */
function cachedFiles(): { keyFile: string; certFile: string } {
  const dir = path.join(cacheDir, 'tls');
  const files = fs.readdirSync(dir).sort();
  const keys = files.filter((f) => f.endsWith('.key'));
  const certs = files.filter((f) => f.endsWith('.crt'));
  expect(keys, files.join(', ')).toHaveLength(1);
  expect(certs, files.join(', ')).toHaveLength(1);
  return { keyFile: path.join(dir, keys[0]!), certFile: path.join(dir, certs[0]!) };
}

/** Non-internal addresses of this host a certificate can name (link-local fe80:: needs a zone, which URLs cannot carry). */
function hostAddresses(): string[] {
  const out: string[] = [];
  for (const infos of Object.values(os.networkInterfaces())) {
    for (const info of infos ?? []) if (!info.internal && !/^fe80:/i.test(info.address)) out.push(info.address);
  }
  return out;
}

/** A self-signed certificate for 127.0.0.1/localhost valid for `days` days from now (selfSigned's validity is fixed). */
async function certValidFor(days: number): Promise<TlsFiles> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + days * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

beforeEach(() => {
  cacheDir = tempDir('confero-tls-cache-');
  process.env.CONFERO_CACHE_DIR = cacheDir;
});

afterEach(() => {
  if (savedCacheDir === undefined) delete process.env.CONFERO_CACHE_DIR;
  else process.env.CONFERO_CACHE_DIR = savedCacheDir;
});

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadTls', () => {
  it('HTTPS_CERT=self-signed makes a certificate for localhost, 127.0.0.1 and every address of this host, with a private key', async () => {
    const log = recordingLog();
    const tls = (await loadTls(testConfig({ HTTPS_CERT: 'self-signed' }), log))!;
    expect(tls).toBeDefined();
    const cert = new crypto.X509Certificate(tls.cert);
    const san = cert.subjectAltName ?? '';
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('IP Address:127.0.0.1');
    expect(san).toContain(`DNS:${os.hostname()}`);
    // checkIP/checkHost are the matching TLS clients do (IPv6 in the SAN string is written expanded).
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    const addresses = hostAddresses();
    for (const address of addresses) expect(cert.checkIP(address), `${address} in ${san}`).toBe(address);
    // …and nothing else: an address that is not this host's is not in it.
    expect(cert.checkIP('203.0.113.77')).toBeUndefined();

    // The key belongs to the certificate and only its owner can read it.
    expect(cert.checkPrivateKey(crypto.createPrivateKey(tls.key))).toBe(true);
    const { keyFile, certFile } = cachedFiles();
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(tls.key);
    expect(fs.readFileSync(certFile, 'utf8')).toBe(tls.cert);
    // Valid now, for about a year.
    const validTo = Date.parse(cert.validTo);
    expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(Date.now());
    expect(validTo - Date.now()).toBeGreaterThan(300 * 24 * 3600 * 1000);
    expect(log.lines.join('\n')).toMatch(/made a self-signed certificate/);
  });

  it('a second call returns the cached certificate instead of making a new one', async () => {
    const config = testConfig({ HTTPS_CERT: 'self-signed' });
    const log = recordingLog();
    const first = (await loadTls(config, log))!;
    const { keyFile, certFile } = cachedFiles();
    const mtimes = [fs.statSync(keyFile).mtimeMs, fs.statSync(certFile).mtimeMs];
    const second = (await loadTls(config, log))!;
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
    expect([fs.statSync(keyFile).mtimeMs, fs.statSync(certFile).mtimeMs]).toEqual(mtimes);
    expect(log.lines.filter((l) => /made a self-signed certificate/.test(l))).toHaveLength(1);
  });

  it('a cached certificate expiring within 30 days is replaced; one with longer left is kept', async () => {
    const config = testConfig({ HTTPS_CERT: 'self-signed' });
    await loadTls(config, recordingLog());
    const { keyFile, certFile } = cachedFiles();

    // 60 days left: still good, served as cached.
    const later = await certValidFor(60);
    fs.writeFileSync(keyFile, later.key, { mode: 0o600 });
    fs.writeFileSync(certFile, later.cert);
    expect((await loadTls(config, recordingLog()))!.cert).toBe(later.cert);

    // 10 days left: renewed, and the renewal is what is cached from then on.
    const expiring = await certValidFor(10);
    fs.writeFileSync(keyFile, expiring.key, { mode: 0o600 });
    fs.writeFileSync(certFile, expiring.cert);
    const log = recordingLog();
    const renewed = (await loadTls(config, log))!;
    expect(renewed.cert).not.toBe(expiring.cert);
    expect(renewed.key).not.toBe(expiring.key);
    expect(log.lines.join('\n')).toMatch(/made a self-signed certificate/);
    const cert = new crypto.X509Certificate(renewed.cert);
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(300 * 24 * 3600 * 1000);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkPrivateKey(crypto.createPrivateKey(renewed.key))).toBe(true);
    expect(fs.readFileSync(certFile, 'utf8')).toBe(renewed.cert);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(renewed.key);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

    // An already expired one too.
    const expired = await certValidFor(-1);
    fs.writeFileSync(certFile, expired.cert);
    expect((await loadTls(config, recordingLog()))!.cert).not.toBe(expired.cert);
  });

  it('a cached key that does not belong to the cached certificate is not served: a new pair is made', async () => {
    // E.g. a crash (or a second server starting) between writing the key and the certificate. Served
    // as is, every later start would fail with "key values mismatch" until someone cleared the cache.
    const config = testConfig({ HTTPS_CERT: 'self-signed' });
    const first = (await loadTls(config, recordingLog()))!;
    const { keyFile } = cachedFiles();
    fs.writeFileSync(keyFile, (await certValidFor(60)).key);
    const second = (await loadTls(config, recordingLog()))!;
    expect(second.cert).not.toBe(first.cert);
    expect(new crypto.X509Certificate(second.cert).checkPrivateKey(crypto.createPrivateKey(second.key))).toBe(true);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(second.key);
  });

  it('HTTPS_CERT/HTTPS_KEY files are served as given, with no certificate made or cached', async () => {
    const dir = tempDir('confero-tls-files-');
    const pems = await selfSigned(['example.test', '192.0.2.10']);
    const certPath = path.join(dir, 'cert.pem');
    const keyPath = path.join(dir, 'key.pem');
    fs.writeFileSync(certPath, pems.cert);
    fs.writeFileSync(keyPath, pems.key, { mode: 0o600 });
    const log = recordingLog();
    const tls = await loadTls(testConfig({ HTTPS_CERT: certPath, HTTPS_KEY: keyPath }), log);
    expect(tls).toEqual({ cert: pems.cert, key: pems.key });
    expect(log.lines).toEqual([]);
    expect(fs.existsSync(path.join(cacheDir, 'tls'))).toBe(false);
  });

  it('without HTTPS_CERT there is no TLS', async () => {
    expect(await loadTls(testConfig(), recordingLog())).toBeUndefined();
  });
});

describe('a server on HTTPS_CERT=self-signed', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /healthz over https and signalling over wss, verified against its own certificate', { timeout: 60_000 }, async () => {
    server = await startTestServer({ HTTPS_CERT: 'self-signed' });
    expect(server.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.wsUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws$/);
    const ca = fs.readFileSync(cachedFiles().certFile, 'utf8');

    const health = await httpsGet(`${server.baseUrl}/healthz`, ca);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    // Verification is real: without its certificate as a CA the same request is refused.
    await expect(httpsGet(`${server.baseUrl}/healthz`, undefined)).rejects.toThrow(/self[- ]signed/i);
    // Plain http on the same port gets no page.
    await expect(fetch(`${server.baseUrl.replace('https:', 'http:')}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status)).rejects.toThrow();

    const ws = new WebSocket(server.wsUrl, { ca, handshakeTimeout: 10_000 });
    try {
      const reply = await new Promise<{ id: number; ok: boolean; data: { routerRtpCapabilities: { codecs: { mimeType: string }[] } } }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer over wss within 10 s')), 10_000);
        ws.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'getRouterRtpCapabilities', data: {} })));
        ws.on('message', (raw) => {
          const message = JSON.parse(raw.toString()) as { id?: number };
          if (message.id !== 1) return;
          clearTimeout(timer);
          resolve(message as never);
        });
      });
      expect(reply).toMatchObject({ id: 1, ok: true });
      const mimeTypes = reply.data.routerRtpCapabilities.codecs.map((c) => c.mimeType.toLowerCase());
      expect(mimeTypes).toContain('audio/opus');
      expect(mimeTypes).toContain('video/vp8');
    } finally {
      ws.terminate();
    }
  });
});
