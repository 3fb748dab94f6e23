import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { ConfigError, loadConfig, SETTINGS } from '../src/config';

describe('config', () => {
  it('has defaults that serve a local single-machine room', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(config.media.listenIp).toBe('127.0.0.1');
    expect(config.media.numWorkers).toBe(os.availableParallelism());
    expect(config.media.rtcBasePort).toBe(40000);
    expect(config.media.announcedAddress).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      HTTP_HOST: '::1',
      HTTP_PORT: '8443',
      LOG_LEVEL: 'debug',
      MEDIASOUP_NUM_WORKERS: '3',
      MEDIASOUP_LOG_LEVEL: 'error',
      RTC_LISTEN_IP: '0.0.0.0',
      RTC_ANNOUNCED_ADDRESS: 'sfu.example.org',
      HTTPS_CERT: 'self-signed',
      STUN_URLS: 'stun:stun.example.org:3478',
      TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:[2001:db8::1]:5349?transport=tcp',
      TURN_SECRET: 'sixteen-chars-at-least',
      TURN_CREDENTIAL_TTL: '7200',
      TURN_LISTEN_IP: '10.0.0.2',
      TURN_PORT: '3479',
      TURN_TLS_PORT: '5350',
      TURN_MIN_PORT: '60000',
      TURN_MAX_PORT: '60100',
      TURN_REALM: 'example.org',
      RTC_BASE_PORT: '50000',
      RTC_MIN_PORT: '51000',
      RTC_MAX_PORT: '52000',
    });
    expect(config.http).toEqual({ host: '::1', port: 8443 });
    expect(config.media).toMatchObject({
      numWorkers: 3,
      workerLogLevel: 'error',
      listenIp: '0.0.0.0',
      announcedAddress: 'sfu.example.org',
      rtcBasePort: 50000,
      rtcMinPort: 51000,
      rtcMaxPort: 52000,
      listen: [{ ip: '0.0.0.0', announcedAddress: 'sfu.example.org' }],
    });
    expect(config.https).toBe('self-signed');
    expect(config.ice).toEqual({
      stunUrls: ['stun:stun.example.org:3478'],
      turnUrls: ['turn:turn.example.org:3478?transport=udp', 'turns:[2001:db8::1]:5349?transport=tcp'],
      turnSecret: 'sixteen-chars-at-least',
      credentialTtlSeconds: 7200,
    });
    expect(config.turn).toEqual({ listenIp: '10.0.0.2', port: 3479, tlsPort: 5350, tls: undefined, minPort: 60000, maxPort: 60100, realm: 'example.org' });
    // The README table and .env.example follow SETTINGS: it must name exactly the variables the config reads.
    const source = readFileSync(path.resolve(__dirname, '../src/config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]));
    expect(SETTINGS.map((s) => s.name).sort()).toEqual([...read].sort());
  });

  it.each([
    ['HTTP_PORT', '70000', 'an integer from 0 to 65535'],
    ['HTTP_PORT', 'eighty', 'an integer'],
    ['HTTP_HOST', 'localhost:3000', 'an IPv4 or IPv6 address'],
    ['LOG_LEVEL', 'loud', 'one of fatal'],
    ['MEDIASOUP_NUM_WORKERS', '0', 'an integer from 1 to 64'],
    ['MEDIASOUP_LOG_LEVEL', 'info', 'one of debug, warn, error, none'],
    ['RTC_LISTEN_IP', '300.1.1.1', 'an IPv4 or IPv6 address'],
    ['RTC_ANNOUNCED_ADDRESS', 'not a host!', 'an IP address or a hostname'],
    ['RTC_BASE_PORT', '80', 'an integer from 1024'],
    ['MEDIASOUP_WORKER_BIN', '/nonexistent/mediasoup-worker', 'an existing executable file'],
    ['MAX_PEERS_PER_ROOM', '0', 'an integer from 1'],
    ['MAX_MESSAGE_BYTES', '10', 'an integer from 1024'],
    ['ALLOW_PLAIN_TRANSPORTS', 'maybe', 'true or false'],
    ['HTTPS_CERT', '/nonexistent/cert.pem', 'a readable file'],
    ['TURN_URLS', 'http://turn.example.org', 'turn/turns URLs like turn:host:3478?transport=udp'],
    ['TURN_URLS', 'turn:host:3478?transport=sctp', 'turn/turns URLs'],
    ['STUN_URLS', 'turn:host:3478', 'stun/stuns URLs'],
    ['TURN_CREDENTIAL_TTL', '10', 'an integer from 60'],
    ['TURN_MIN_PORT', '40500', 'a relay range outside the media ports'],
    ['TURN_REALM', 'a realm with spaces', 'letters, digits'],
  ])('rejects %s=%s', (variable, value, expected) => {
    let caught: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).toContain(expected);
    expect((caught as ConfigError).message).toContain(variable);
  });

  it('rejects settings that need a partner setting', () => {
    expect(() => loadConfig({ TURN_URLS: 'turn:host:3478' })).toThrow(/TURN_SECRET.*since TURN_URLS is set/);
    expect(() => loadConfig({ HTTPS_KEY: '/etc/hostname' })).toThrow(/HTTPS_CERT.*since HTTPS_KEY is set/);
    expect(() => loadConfig({ HTTPS_CERT: '/etc/hostname' })).toThrow(/HTTPS_KEY.*since HTTPS_CERT is set/);
    expect(() => loadConfig({ HTTPS_CERT: 'self-signed', HTTPS_KEY: '/etc/hostname' })).toThrow(/HTTPS_KEY.*nothing when HTTPS_CERT=self-signed/);
  });

  it('never shows a secret in its error', () => {
    expect(() => loadConfig({ TURN_SECRET: 'short-secret' })).toThrow(/TURN_SECRET="\(hidden\)".*at least 16 characters/);
    expect(() => loadConfig({ TURN_SECRET: 'short-secret' })).not.toThrow(/short-secret/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short-token' })).toThrow(/METRICS_TOKEN="\(hidden\)".*at least 16 characters/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short-token' })).not.toThrow(/short-token/);
    expect(loadConfig({ METRICS_TOKEN: 'sixteen-chars-at-least' }).auth.metricsToken).toBe('sixteen-chars-at-least');
  });

  it('rejects overlapping port ranges', () => {
    expect(() => loadConfig({ RTC_BASE_PORT: '40500' })).toThrow(/RTC_BASE_PORT/);
    expect(() => loadConfig({ RTC_MIN_PORT: '45000', RTC_MAX_PORT: '44000' })).toThrow(/RTC_MAX_PORT/);
  });

  it('takes RTC_BASE_PORT=0 as "mediasoup picks free ports in RTC_MIN_PORT..RTC_MAX_PORT", whose range TURN must stay out of', () => {
    expect(loadConfig({ RTC_BASE_PORT: '0' }).media).toMatchObject({ rtcBasePort: 0, rtcMinPort: 40100, rtcMaxPort: 40999 });
    expect(() => loadConfig({ RTC_BASE_PORT: '0', TURN_SECRET: 's'.repeat(16), TURN_MIN_PORT: '40500', TURN_MAX_PORT: '40600' })).toThrow(/TURN_MIN_PORT/);
    expect(() => loadConfig({ RTC_BASE_PORT: '1' })).toThrow(/RTC_BASE_PORT.*an integer from 1024/);
  });

  it('makes the server exit with code 2 and one line naming the variable', () => {
    const root = path.resolve(__dirname, '../..');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      env: { ...process.env, HTTP_PORT: 'x' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/HTTP_PORT="x".*expected an integer/);
  });
});

describe('README', () => {
  it('documents every setting with its default', async () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    for (const setting of SETTINGS) {
      expect(readme).toContain(`| \`${setting.name}\` | ${setting.default} |`);
    }
  });
});
