import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/** One JSON logger for the whole process; Fastify and the media layer get children of it. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'confero' } });
}
