/**
 * A pino logger that keeps what it would print at warn level and above, so a test can assert that no
 * error-level line was written (and show the warnings that were) instead of logging into the void.
 */
import pino, { type Logger } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  line: string;
}

export interface RecordingLog {
  log: Logger;
  lines: LogLine[];
  /** Lines at error (50) or fatal (60). */
  errors(): LogLine[];
  warnings(): LogLine[];
}

const ERROR = 50;
const WARN = 40;
/** Enough to diagnose; a flood of warnings must not grow the heap the fuzz test is measuring. */
const KEEP = 2000;

export function recordingLog(): RecordingLog {
  const lines: LogLine[] = [];
  const destination = {
    write(line: string): void {
      const parsed = JSON.parse(line) as { level: number; msg?: string };
      if (lines.length < KEEP || parsed.level >= ERROR) lines.push({ level: parsed.level, msg: parsed.msg ?? '', line: line.trimEnd() });
    },
  };
  const log = pino({ level: 'warn' }, destination);
  return {
    log,
    lines,
    errors: () => lines.filter((l) => l.level >= ERROR),
    warnings: () => lines.filter((l) => l.level >= WARN && l.level < ERROR),
  };
}
