/** What the figures were measured on: CPU, cores, memory, kernel and the versions that matter. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function chromiumVersion(): string {
  const binary = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return `unavailable (${binary})`;
  }
}

export function describeMachine(command: string, quick: boolean, startedAt: Date): BenchResult['machine'] {
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.versions.node,
    mediasoup: packageVersion('mediasoup'),
    chromium: chromiumVersion(),
    command,
    startedAt: startedAt.toISOString(),
    quick,
  };
}
