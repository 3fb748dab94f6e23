#!/usr/bin/env node
// Runs mediasoup's own Node test suite (shipped compiled in the npm package at node/lib/test) with jest
// against the worker that setup placed in node_modules: a real third-party suite guarding our offline
// worker build. The DTLS test certificate is not in the tarball, so we generate one first.
//   usage: node scripts/mediasoup-suite.mjs [--json FILE]
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'node_modules', 'mediasoup', 'node', 'lib', 'test');
const dataDir = path.join(testDir, 'data');
const jsonIndex = process.argv.indexOf('--json');
const jsonFile = jsonIndex > 0 ? path.resolve(process.argv[jsonIndex + 1]) : undefined;

if (!fs.existsSync(path.join(dataDir, 'dtls-cert.pem'))) {
  fs.mkdirSync(dataDir, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=mediasoup-test',
      '-keyout',
      path.join(dataDir, 'dtls-key.pem'),
      '-out',
      path.join(dataDir, 'dtls-cert.pem'),
    ],
    { stdio: 'ignore' },
  );
}

const config = {
  rootDir: testDir,
  testEnvironment: 'node',
  testMatch: ['**/test-*.js'],
  // The suite lives inside node_modules, which jest ignores by default.
  testPathIgnorePatterns: ['/data/'],
  haste: { retainAllFiles: true },
};
const args = [path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', JSON.stringify(config), '--runInBand', '--ci'];
if (jsonFile) args.push('--json', '--outputFile', jsonFile);

// mediasoup's suite asserts that workerBin is the default path when MEDIASOUP_WORKER_BIN is unset.
const env = { ...process.env };
delete env.MEDIASOUP_WORKER_BIN;
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
process.exit(result.status ?? 1);
