/**
 * The certificate for HTTPS/WSS. Browsers give camera and microphone only to https:// pages (or
 * localhost), so serving a LAN or a public address needs TLS. HTTPS_CERT/HTTPS_KEY name PEM files (e.g.
 * Let's Encrypt's); HTTPS_CERT=self-signed makes one for every name and address of this host, caches it
 * and reuses it while those stay the same, so a LAN demo costs one click-through per browser, once.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { generate } from 'selfsigned';
import { cacheDir, type Config } from '../config';
import { isWildcard } from '../media/listen-addresses';

export interface TlsFiles {
  key: string;
  cert: string;
}

/** A cached self-signed certificate is renewed when it expires within this long. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
const VALID_DAYS = 365;

/** The PEM key and certificate to serve, or undefined for plain HTTP. */
export async function loadTls(config: Config, log: { info: (message: string) => void }): Promise<TlsFiles | undefined> {
  const https = config.https;
  if (https === undefined) return undefined;
  if (https !== 'self-signed') return { key: fs.readFileSync(https.key, 'utf8'), cert: fs.readFileSync(https.cert, 'utf8') };
  const names = hostNames(config);
  const dir = path.join(cacheDir(), 'tls');
  const id = crypto.createHash('sha256').update(names.join(',')).digest('hex').slice(0, 16);
  const keyFile = path.join(dir, `self-signed-${id}.key`);
  const certFile = path.join(dir, `self-signed-${id}.crt`);
  const cached = readIfFresh(keyFile, certFile);
  if (cached) return cached;
  const made = await selfSigned(names);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeAtomically(keyFile, made.key, 0o600);
  writeAtomically(certFile, made.cert, 0o644);
  log.info(`made a self-signed certificate for ${names.join(', ')} (${certFile}); browsers will ask once to accept it`);
  return made;
}

/** Every name a browser on this machine or the LAN may use for the server. */
export function hostNames(config: Config): string[] {
  const names = new Set<string>(['localhost', os.hostname(), '127.0.0.1', '::1']);
  for (const infos of Object.values(os.networkInterfaces())) {
    for (const info of infos ?? []) if (!info.internal && !/^fe80:/i.test(info.address)) names.add(info.address);
  }
  for (const entry of config.media.listen) names.add(entry.announcedAddress ?? entry.ip);
  names.add(config.http.host);
  return [...names].filter((name) => !isWildcard(name)).sort();
}

function readIfFresh(keyFile: string, certFile: string): TlsFiles | undefined {
  try {
    const cert = fs.readFileSync(certFile, 'utf8');
    const x509 = new crypto.X509Certificate(cert);
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    const key = fs.readFileSync(keyFile, 'utf8');
    // A key of another pair (a crash or a second server between the two writes) would fail every start.
    if (!x509.checkPrivateKey(crypto.createPrivateKey(key))) return undefined;
    return { key, cert };
  } catch {
    return undefined;
  }
}

/** Whole file or nothing, with `mode` even when replacing a file (writeFileSync's mode applies only to new files). */
function writeAtomically(file: string, text: string, mode: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, text, { mode });
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** A fresh self-signed certificate (EC P-256, SHA-256) for these DNS names and IP addresses. */
export async function selfSigned(names: string[]): Promise<TlsFiles> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: names.find((n) => net.isIP(n) === 0 && n !== 'localhost') ?? 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (net.isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
