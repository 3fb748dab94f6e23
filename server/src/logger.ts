import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './config';

/**
 * One logger for the whole process; Fastify and the media layer get children of it. JSON lines for log
 * collectors; on a terminal (or LOG_FORMAT=pretty) the same records as coloured lines a person can read.
 * Secrets are never logged on purpose; the redaction is the safety net should an object carrying one be
 * logged, and it applies before either format.
 */
export function createLogger(level: LogLevel, format: LogFormat, stdoutIsTerminal = process.stdout.isTTY === true): Logger {
  const options = {
    level,
    base: { service: 'confero' },
    redact: {
      paths: [
        'turnSecret',
        '*.turnSecret',
        'credential',
        '*.credential',
        'iceServers[*].credential',
        '*.iceServers[*].credential',
        'token',
        '*.token',
        'keyBase64',
        '*.keyBase64',
        '*.*.keyBase64',
      ],
      censor: '[hidden]',
    },
  };
  const human = format === 'pretty' || (format === 'auto' && stdoutIsTerminal);
  if (!human) return pino(options);
  // Synchronous, in this thread: a worker-thread transport would drop the last lines on process.exit.
  return pino(options, pretty({ sync: true, colorize: stdoutIsTerminal, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
}
