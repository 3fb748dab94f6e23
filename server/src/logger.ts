import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/**
 * One JSON logger for the whole process; Fastify and the media layer get children of it. Secrets are
 * never logged on purpose; the redaction is the safety net should an object carrying one be logged.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'confero' },
    redact: {
      paths: ['turnSecret', '*.turnSecret', 'credential', '*.credential', 'iceServers[*].credential', '*.iceServers[*].credential', 'token', '*.token'],
      censor: '[hidden]',
    },
  });
}
