import pino from 'pino';
import { loadConfig, type Config } from '../server/src/config';
import { OS_CHOSEN_PORTS_ENV } from './ports';

/**
 * A config for tests: loopback only, one worker, HTTP and media ports chosen when they are bound (see
 * ports.ts); `env` overrides any variable (a test of RTC_BASE_PORT itself gives one from freePortBlock).
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    MEDIASOUP_NUM_WORKERS: '1',
    ...OS_CHOSEN_PORTS_ENV,
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export const silentLog = pino({ level: 'silent' });
