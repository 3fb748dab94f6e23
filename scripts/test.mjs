#!/usr/bin/env node
// The whole test suite, as `npm test` runs it after setup. Each stage is a real runner; we read their
// machine-readable results and end with one line "N passed, N failed" over all of them.
//   stages: typecheck (one tsconfig per package) · walls (dependency-cruiser) · format (Prettier) ·
//           worker compat tests (C/C++) · vitest (server, client library, browser) · mediasoup's own suite
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const projectBin = path.join(root, 'node_modules', '.bin');

// Everything runs on the project's own Node (the pinned devDependency), also when this script was started
// with an older system Node outside npm: re-run under it, and put it first on PATH for the stages.
if (Number(process.versions.node.split('.')[0]) < 22) {
  const rerun = spawnSync(path.join(projectBin, 'node'), process.argv.slice(1), { stdio: 'inherit' });
  process.exit(rerun.status ?? 1);
}
process.env.PATH = `${projectBin}${path.delimiter}${process.env.PATH}`;

const artifacts = path.join(root, 'test-artifacts');
/** What the walls stage checks: every folder with TypeScript of ours. */
const WALLED = ['protocol', 'server', 'client', 'loadtest', 'bench', 'testkit'].filter((dir) => fs.existsSync(path.join(root, dir)));
fs.mkdirSync(artifacts, { recursive: true });
const bin = (name) => path.join(projectBin, name);

function run(command, args) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(result.stdout ?? '');
  return { status: result.status ?? 1, stdout: result.stdout ?? '', seconds: (Date.now() - started) / 1000 };
}

function fromJson(file, status) {
  if (!fs.existsSync(file)) return { passed: 0, failed: 1, note: 'runner wrote no results' };
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const failed = report.numFailedTests + (status !== 0 && report.numFailedTests === 0 ? 1 : 0);
  return { passed: report.numPassedTests, failed, skipped: report.numPendingTests + (report.numTodoTests ?? 0), failures: failuresOf(report) };
}

// The failed tests with the head of their message, printed again just above the summary: runners write the
// details to stderr and early in a long log, where a CI page showing the end of stdout never reaches.
function failuresOf(report) {
  const failures = [];
  for (const file of report.testResults ?? []) {
    const where = path.relative(root, file.name ?? file.testFilePath ?? '');
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const message = (test.failureMessages ?? []).join('\n').split('\n').slice(0, 12).join('\n    ');
      failures.push(`${where} > ${test.fullName}\n    ${message}`);
    }
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) {
      failures.push(
        `${where}\n    ${String(file.message ?? 'the file failed outside any test')
          .split('\n')
          .slice(0, 12)
          .join('\n    ')}`,
      );
    }
  }
  return failures;
}

/** Each package's compiler settings: the DOM-free client library and the server are built without lib.dom. */
const TSCONFIGS = [
  'protocol/tsconfig.json',
  'server/tsconfig.json',
  'client/src/lib/tsconfig.json',
  'client/tsconfig.json',
  'loadtest/tsconfig.json',
  'bench/tsconfig.json',
  'tsconfig.json',
];

/** Counts one check per config (or per stage): passed when the runner exited 0. */
const byStatus = (checks) => (outcome) => ({ passed: outcome.status === 0 ? checks : 0, failed: outcome.status === 0 ? 0 : 1 });

const stages = [
  {
    name: 'typecheck',
    exec: () => {
      const results = TSCONFIGS.map((config) => ({ config, ...run(bin('tsc'), ['--noEmit', '-p', config]) }));
      const failed = results.filter((r) => r.status !== 0).map((r) => r.config);
      if (failed.length > 0) process.stdout.write(`type errors in: ${failed.join(', ')}\n`);
      return { status: failed.length === 0 ? 0 : 1, stdout: '', seconds: results.reduce((t, r) => t + r.seconds, 0), failed: failed.length };
    },
    count: (outcome) => ({ passed: TSCONFIGS.length - outcome.failed, failed: outcome.failed }),
  },
  {
    name: 'walls',
    exec: () => run(bin('depcruise'), ['--config', '.dependency-cruiser.cjs', ...WALLED]),
    count: byStatus(1),
  },
  {
    name: 'format',
    exec: () => run(bin('prettier'), ['--check', '--log-level', 'warn', '.']),
    count: byStatus(1),
  },
  {
    name: 'worker compat (C)',
    exec: () => run('bash', ['scripts/mediasoup-worker/compat-test/run.sh']),
    // The SRTP header test prints "N passed, N failed"; the DTLS/kTLS guard test one "…: OK" line.
    count: ({ status, stdout }) => {
      const m = /(\d+) passed, (\d+) failed/.exec(stdout);
      if (!m) return { passed: 0, failed: 1 };
      const guard = /^bio_ktls_guard_test: OK/m.test(stdout) ? 1 : 0;
      const failed = Number(m[2]) + (1 - guard);
      return { passed: Number(m[1]) + guard, failed: failed + (status !== 0 && failed === 0 ? 1 : 0) };
    },
  },
  {
    name: 'vitest',
    exec: () => {
      fs.rmSync(path.join(artifacts, 'vitest.json'), { force: true });
      return run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(artifacts, 'vitest.json')}`]);
    },
    count: ({ status }) => fromJson(path.join(artifacts, 'vitest.json'), status),
  },
  {
    name: "mediasoup's own suite",
    exec: () => {
      fs.rmSync(path.join(artifacts, 'mediasoup-suite.json'), { force: true });
      return run(process.execPath, ['scripts/mediasoup-suite.mjs', '--json', path.join(artifacts, 'mediasoup-suite.json')]);
    },
    count: ({ status }) => fromJson(path.join(artifacts, 'mediasoup-suite.json'), status),
  },
];

// --only <stage>[,<stage>]: `npm run typecheck`, `npm run lint:walls`, `npm run format:check` run one stage.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1]?.split(',') : undefined;
const unknown = only?.filter((name) => !stages.some((stage) => stage.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown stage ${unknown.join(', ')}: the stages are ${stages.map((stage) => stage.name).join(', ')}\n`);
  process.exit(2);
}

const rows = [];
for (const stage of stages.filter((s) => !only || only.includes(s.name))) {
  process.stdout.write(`\n=== ${stage.name} ===\n`);
  const outcome = stage.exec();
  rows.push({ name: stage.name, seconds: outcome.seconds, ...stage.count(outcome) });
}

const failures = rows.flatMap((r) => (r.failures ?? []).map((f) => `[${r.name}] ${f}`));
if (failures.length > 0) process.stdout.write(`\n=== failed ===\n${failures.join('\n\n')}\n`);
process.stdout.write('\n=== summary ===\n');
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(24)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(3)} failed${r.skipped ? ` ${r.skipped} skipped` : ''}  (${r.seconds.toFixed(1)} s)\n`,
  );
}
const passed = rows.reduce((n, r) => n + r.passed, 0);
const failed = rows.reduce((n, r) => n + r.failed, 0);
const skipped = rows.reduce((n, r) => n + (r.skipped ?? 0), 0);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
