/**
 * Which Chromium the browser bots run. In order: the path the user gave (option, else CHROMIUM_PATH),
 * Debian's /usr/bin/chromium, a Chrome for Testing already in our cache, and last a Chrome for Testing
 * downloaded with @puppeteer/browsers (the build puppeteer was made for) — for users with internet
 * but no system Chromium. A path the user named explicitly is never replaced by a download: a typo there
 * should say so, not fetch 150 MB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Browser as BrowserKind, computeExecutablePath, detectBrowserPlatform, install } from '@puppeteer/browsers';
// The Chrome build this puppeteer release was made for: only puppeteer-core exports it (a direct dependency for that).
import { PUPPETEER_REVISIONS } from 'puppeteer-core/internal/revisions.js';
import { loadtestCacheDir } from './clip';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export interface ChromiumLocation {
  executablePath: string;
  /** Where it came from, for the run's log. */
  source: 'option' | 'CHROMIUM_PATH' | 'system' | 'chrome-for-testing (cached)' | 'chrome-for-testing (downloaded)';
}

export interface ResolveChromiumOptions {
  chromiumPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Default /usr/bin/chromium; tests point it elsewhere. */
  systemPath?: string;
  /** Where Chrome for Testing is cached; default ~/.cache/confero/browsers (CONFERO_CACHE_DIR moves it). */
  browsersDir?: string;
  /** Download mirror; default Google's Chrome for Testing bucket. */
  downloadBaseUrl?: string;
  log?: (line: string) => void;
}

export function defaultBrowsersDir(): string {
  return path.join(path.dirname(loadtestCacheDir()), 'browsers');
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const INSTALL_HINT = 'install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary';

export async function resolveChromium(options: ResolveChromiumOptions = {}): Promise<ChromiumLocation> {
  const env = options.env ?? process.env;
  const explicit = options.chromiumPath
    ? { file: options.chromiumPath, source: 'option' as const }
    : env.CHROMIUM_PATH
      ? { file: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' as const }
      : undefined;
  if (explicit) {
    if (isExecutableFile(explicit.file)) return { executablePath: explicit.file, source: explicit.source };
    throw new Error(
      `Chromium not found: ${explicit.file} (from ${explicit.source === 'option' ? 'the chromiumPath option' : 'CHROMIUM_PATH'}) is not an executable file`,
    );
  }

  const systemPath = options.systemPath ?? SYSTEM_CHROMIUM;
  if (isExecutableFile(systemPath)) return { executablePath: systemPath, source: 'system' };

  const cacheDir = options.browsersDir ?? defaultBrowsersDir();
  const platform = detectBrowserPlatform();
  if (!platform) throw new Error(`Chromium not found at ${systemPath}, and Chrome for Testing has no build for this platform: ${INSTALL_HINT}`);
  const buildId = PUPPETEER_REVISIONS.chrome;
  const cached = computeExecutablePath({ browser: BrowserKind.CHROME, buildId, cacheDir, platform });
  if (isExecutableFile(cached)) return { executablePath: cached, source: 'chrome-for-testing (cached)' };

  options.log?.(`Chromium not found at ${systemPath}: downloading Chrome for Testing ${buildId} into ${cacheDir}`);
  try {
    const installed = await install({
      browser: BrowserKind.CHROME,
      buildId,
      cacheDir,
      platform,
      ...(options.downloadBaseUrl ? { baseUrl: options.downloadBaseUrl } : {}),
    });
    return { executablePath: installed.executablePath, source: 'chrome-for-testing (downloaded)' };
  } catch (error) {
    const reason = String((error as Error).message ?? error)
      .replace(/\s+/g, ' ')
      .trim();
    throw new Error(`Chromium not found at ${systemPath}, and downloading Chrome for Testing ${buildId} into ${cacheDir} failed (${reason}): ${INSTALL_HINT}`);
  }
}
