/**
 * `npm run bench -- [--quick] [--only forwarding,ttff,memory,scaling] [--out DIR] [--port-base P]`
 *
 * Runs the sections one after another (each alone on the machine, so none disturbs another's figures),
 * each with its own block of 1000 ports from --port-base (forwarding, ttff, memory, scaling: P, P+1000,
 * P+2000, P+3000; default 12000) and a scratch directory removed at the end. Progress goes to stderr.
 * Writes <out>/<YYYY-MM-DD>-<host>.json and .md and prints the markdown.
 *
 * Where results go: a full run writes bench/results/ (to be committed); a --quick run (the CI smoke run,
 * figures not meaningful) writes a fresh temporary directory unless --out is given, so it never dirties
 * the working tree. A section that throws is reported as failed with its error, after the others ran, and
 * the exit code is 1; bad options exit 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, ForwardingResult, TtffResult } from './types';
import { describeMachine } from './machine';
import { renderMarkdown, SECTIONS, type BenchFile, type SectionName } from './report';
import { runMemory } from './memory';
import { runScaling } from './scaling';
import { FlagError, readFlags } from '../../loadtest/src/cli-flags';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = 'usage: npm run bench -- [--quick] [--only forwarding,ttff,memory,scaling] [--out DIR] [--port-base P]';

interface Options {
  quick: boolean;
  only: SectionName[];
  out: string | undefined;
  portBase: number;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  let flags;
  try {
    flags = readFlags(argv, { quick: 'boolean', only: 'string', out: 'string', 'port-base': 'string' });
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError(error.message);
    throw error;
  }
  if (flags === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const options: Options = { quick: flags.has('quick'), only: [...SECTIONS], out: undefined, portBase: 12_000 };
  const only = flags.get('only') as string | undefined;
  if (only !== undefined) {
    const names = only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (unknown.length > 0 || names.length === 0)
      throw new UsageError(`--only: unknown section ${unknown.join(', ') || '(none)'}; sections are ${SECTIONS.join(', ')}`);
    options.only = SECTIONS.filter((s) => names.includes(s));
  }
  const out = flags.get('out') as string | undefined;
  if (out === '') throw new UsageError('--out needs a value');
  if (out !== undefined) options.out = path.resolve(out);
  const portBase = flags.get('port-base') as string | undefined;
  if (portBase !== undefined) {
    const p = Number(portBase);
    if (!/^\d+$/.test(portBase) || p < 1024 || p + SECTIONS.length * 1000 > 32_768)
      throw new UsageError(`--port-base takes a port from 1024 to ${32_768 - SECTIONS.length * 1000}, not "${portBase}"`);
    options.portBase = p;
  }
  return options;
}

type SectionRunner = (ctx: BenchContext) => Promise<unknown>;

/**
 * The forwarding and time-to-first-frame modules are loaded when their section runs: one that fails to
 * load (a missing native build, a syntax slip) fails its section only, and the others still run.
 */
async function loadForwarding(): Promise<(ctx: BenchContext) => Promise<ForwardingResult>> {
  return (await import('./forwarding/index')).runForwarding;
}
async function loadTtff(): Promise<(ctx: BenchContext) => Promise<TtffResult>> {
  return (await import('./ttff/index')).runTtff;
}

const loadAverage = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);

function commandLine(argv: string[]): string {
  const args = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args ? ` -- ${args}` : ''}` : `tsx bench/src/cli.ts${args ? ` ${args}` : ''}`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  const startedAt = new Date();
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const host = os.hostname().replace(/[^\w.-]/g, '_');
  const outDir = options.out ?? (options.quick ? fs.mkdtempSync(path.join(os.tmpdir(), 'confero-bench-quick-')) : path.join(ROOT, 'bench/results'));
  fs.mkdirSync(outDir, { recursive: true });
  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-bench-'));

  const file: BenchFile = {
    host,
    loadAverage: { atStart: loadAverage(), atEnd: [] },
    machine: describeMachine(commandLine(argv), options.quick, startedAt),
    forwarding: null,
    ttff: null,
    memory: null,
    scaling: null,
    scalingMaxPeers: null,
    scalingStoppedBecause: null,
    durations: {},
    sections: { forwarding: { status: 'skipped' }, ttff: { status: 'skipped' }, memory: { status: 'skipped' }, scaling: { status: 'skipped' } },
  };
  const runners: Record<SectionName, SectionRunner> = {
    forwarding: async (ctx) => (file.forwarding = await (await loadForwarding())(ctx)),
    ttff: async (ctx) => (file.ttff = await (await loadTtff())(ctx)),
    memory: async (ctx) => (file.memory = await runMemory(ctx)),
    scaling: async (ctx) => {
      const result = await runScaling(ctx);
      file.scaling = result.points;
      file.scalingMaxPeers = result.maxPeers;
      file.scalingStoppedBecause = result.stoppedBecause;
    },
  };

  log(`bench: ${options.quick ? 'quick smoke run' : 'full run'} of ${options.only.join(', ')} on ${file.machine.cpuModel} (${file.machine.cores} cores)`);
  try {
    for (const name of options.only) {
      const index = SECTIONS.indexOf(name);
      const ctx: BenchContext = {
        quick: options.quick,
        log: (line) => log(`[${name}] ${line}`),
        portBase: options.portBase + index * 1000,
        workDir: fs.mkdtempSync(path.join(workRoot, `${name}-`)),
      };
      log(`bench: ${name} …`);
      const t0 = performance.now();
      try {
        await runners[name](ctx);
        file.sections[name] = { status: 'ok' };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        file.sections[name] = { status: 'failed', error: message };
        log(`bench: ${name} FAILED: ${message}`);
        if (error instanceof Error && error.stack) log(error.stack);
      }
      file.durations[name] = Math.round((performance.now() - t0) / 100) / 10;
      log(`bench: ${name} ${file.sections[name].status} in ${file.durations[name]} s`);
    }
  } finally {
    fs.rmSync(workRoot, { recursive: true, force: true });
  }

  file.loadAverage.atEnd = loadAverage();
  const stem = `${startedAt.toISOString().slice(0, 10)}-${host}`;
  const jsonPath = path.join(outDir, `${stem}.json`);
  const mdPath = path.join(outDir, `${stem}.md`);
  const markdown = renderMarkdown(file);
  fs.writeFileSync(jsonPath, `${JSON.stringify(file, null, 2)}\n`);
  fs.writeFileSync(mdPath, markdown);
  process.stdout.write(`${markdown}\nwritten: ${jsonPath}\n         ${mdPath}\n`);
  return Object.values(file.sections).some((s) => s.status === 'failed') ? 1 : 0;
}

// Ctrl-C or SIGTERM: exit, which kills the servers still running (server-process.ts), and write nothing.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
