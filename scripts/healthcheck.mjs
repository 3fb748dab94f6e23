#!/usr/bin/env node
// Container healthchecks (docker-compose.yml), from the same environment the services read:
//   node scripts/healthcheck.mjs sfu    GET /healthz over HTTP or HTTPS (a self-signed certificate is fine)
//   node scripts/healthcheck.mjs turn   coturn accepts TCP on TURN_PORT
// Exit 0 healthy, 1 not. Node built-ins only, a 3 s budget.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const env = (name, fallback) => (process.env[name]?.trim() ? process.env[name].trim() : fallback);
const local = (address) => (address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address);
const done = (ok, why) => {
  if (!ok) process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(ok ? 0 : 1);
};
setTimeout(() => done(false, 'no answer within 3 s'), 3000).unref();

const what = process.argv[2];
if (what === 'sfu') {
  const secure = Boolean(env('HTTPS_CERT'));
  const request = (secure ? https : http).get(
    { host: local(env('HTTP_HOST', '127.0.0.1')), port: Number(env('HTTP_PORT', '3000')), path: '/healthz', rejectUnauthorized: false },
    (response) => {
      response.resume();
      done(response.statusCode === 200, `/healthz answered ${response.statusCode}`);
    },
  );
  request.on('error', (error) => done(false, error.message));
} else if (what === 'turn') {
  const socket = net.connect({ host: local(env('TURN_LISTEN_IP', env('RTC_LISTEN_IP', '127.0.0.1'))), port: Number(env('TURN_PORT', '3478')) });
  socket.on('connect', () => {
    socket.destroy();
    done(true);
  });
  socket.on('error', (error) => done(false, error.message));
} else {
  done(false, 'usage: healthcheck.mjs sfu|turn');
}
