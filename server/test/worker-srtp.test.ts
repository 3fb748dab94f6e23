/**
 * The worker's SRTP: libsrtp built with OpenSSL from Debian's source package and linked in
 * (scripts/mediasoup-worker/libsrtp-source.mjs), not Debian's NSS-based libsrtp2, which costs about
 * twice the CPU for every SRTP packet out — and the deb-src entries that fetch it are made from the
 * machine's own apt sources.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import mediasoup from 'mediasoup';
// @ts-expect-error plain ESM script without types
import { debSrcEntries } from '../../scripts/mediasoup-worker/libsrtp-source.mjs';

describe("the worker's SRTP library", () => {
  it('is linked into the worker (built with OpenSSL), not Debian’s shared libsrtp2', () => {
    const bin = process.env.MEDIASOUP_WORKER_BIN || mediasoup.workerBin;
    const needed = execFileSync('readelf', ['-d', bin], { encoding: 'utf8' });
    expect(needed).not.toMatch(/Shared library: \[libsrtp2\.so/);
    // Our source build links Debian's libcrypto (mediasoup's prebuilt worker, where it can be downloaded,
    // has OpenSSL inside): then libsrtp must be inside too, asking OpenSSL for AES-CTR (mediasoup itself
    // never does), with srtp_protect defined in the binary rather than imported.
    if (!/Shared library: \[libcrypto\.so/.test(needed)) return;
    const imported = execFileSync('nm', ['-D', '--undefined-only', bin], { encoding: 'utf8' });
    expect(imported).toMatch(/\bEVP_aes_128_ctr\b/);
    expect(imported).not.toMatch(/\bsrtp_protect\b/);
  });

  it('fetches the source with deb-src entries made from the machine’s deb entries, both file formats', async () => {
    const etc = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-apt-'));
    try {
      fs.mkdirSync(path.join(etc, 'sources.list.d'));
      fs.writeFileSync(path.join(etc, 'sources.list'), '# comment\ndeb http://deb.example/debian bookworm main\ndeb-src http://x/ y z\n');
      fs.writeFileSync(
        path.join(etc, 'sources.list.d', 'debian.sources'),
        'Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n',
      );
      fs.writeFileSync(path.join(etc, 'sources.list.d', 'vendor.list.disabled'), 'deb http://vendor/ x main\n');
      const entries = (await debSrcEntries(etc)) as { name: string; text: string }[];
      expect(entries.map((e) => e.name).sort()).toEqual(['debian.sources', 'sources.list']);
      expect(entries.find((e) => e.name === 'sources.list')!.text).toBe('deb-src http://deb.example/debian bookworm main\n');
      const deb822 = entries.find((e) => e.name === 'debian.sources')!.text;
      expect(deb822).toMatch(/^Types: deb-src$/m);
      expect(deb822).toContain('Suites: bookworm bookworm-updates');
    } finally {
      fs.rmSync(etc, { recursive: true, force: true });
    }
  });
});
