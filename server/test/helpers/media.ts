import pino from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { portBlock } from './ports';

/**
 * A config for tests: loopback only, one worker, ports from this fork's block (base + offset for the
 * WebRtcServers, the upper half of the block for plain transports); `env` overrides any variable.
 */
export function testConfig(env: Record<string, string> = {}, offset = 0): Config {
  const base = portBlock();
  return loadConfig({
    MEDIASOUP_NUM_WORKERS: '1',
    RTC_BASE_PORT: String(base + offset),
    RTC_MIN_PORT: String(base + 50),
    RTC_MAX_PORT: String(base + 99),
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export const silentLog = pino({ level: 'silent' });
