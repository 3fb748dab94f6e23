/**
 * What the terminal shows while a run is going. On a TTY: a status block redrawn in place (progress bar
 * through ramp and hold, joined/failed, inbound bitrate, loss, server CPU), with log lines printed above
 * it. Elsewhere (CI logs, pipes): one plain line every few seconds, so logs stay readable and small.
 */
import type { Progress } from './runner';

export interface LiveView {
  update(progress: Progress): void;
  /** A log line (a bot failed, teardown news); printed above the block on a TTY. */
  log(line: string): void;
  /** Removes the block (TTY) before the final summary is printed. */
  finish(): void;
}

export interface LiveViewOptions {
  /** Where the block or lines go; a TTY stream gets the redrawn block. */
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Where log lines go when not on a TTY (default: out). */
  err?: NodeJS.WritableStream;
  title: string;
  plainEveryS?: number;
}

const BAR_WIDTH = 30;

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Progress through the whole run: the ramp and the hold each take the share of their expected time. */
export function overallFraction(p: Progress, rampPerS: number): number {
  const rampS = p.planned / Math.max(rampPerS, 0.001);
  const total = rampS + p.holdS;
  if (total <= 0) return p.phase === 'ramp' ? 0 : 1;
  const rampDone = p.planned > 0 ? p.launched / p.planned : 1;
  const holdDone = p.holdS > 0 ? Math.min(1, p.holdElapsedS / p.holdS) : p.phase === 'ramp' ? 0 : 1;
  return Math.min(1, (rampDone * rampS + (p.phase === 'ramp' ? 0 : holdDone * p.holdS)) / total);
}

export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
}

function phaseText(p: Progress): string {
  if (p.phase === 'ramp') return `ramp ${p.launched}/${p.planned} started`;
  if (p.phase === 'hold') return `hold ${Math.floor(p.holdElapsedS)}/${p.holdS} s`;
  return 'closing';
}

/** The numbers line, shared by both modes. */
export function statusLine(p: Progress): string {
  const pt = p.point;
  const loss = pt.lossPct === null ? 'n/a' : `${pt.lossPct.toFixed(2)} %`;
  const cpu = pt.server?.cpuPct;
  const server = !p.server.available
    ? 'server n/a'
    : cpu && cpu.total !== null
      ? `server CPU ${cpu.total.toFixed(0)} % (node ${cpu.node?.toFixed(0) ?? '?'}, workers ${cpu.workers?.toFixed(0) ?? '?'})`
      : 'server CPU …';
  return `joined ${pt.joined}, failed ${pt.failed} · in ${pt.bitrateKbps.toFixed(0)} kbps/bot · loss ${loss} · ${server}`;
}

export function createLiveView(options: LiveViewOptions & { rampPerS: number }): LiveView {
  const { out, title } = options;
  const err = options.err ?? out;
  const everyMs = (options.plainEveryS ?? 5) * 1000;
  if (!out.isTTY) {
    let lastAt = 0;
    let last: Progress | null = null;
    return {
      update(p) {
        last = p;
        const now = Date.now();
        if (now - lastAt < everyMs) return;
        lastAt = now;
        out.write(`[${clock(p.elapsedS)}] ${phaseText(p)} · ${statusLine(p)}\n`);
      },
      log: (line) => void err.write(`${line}\n`),
      finish() {
        if (last) out.write(`[${clock(last.elapsedS)}] done · ${statusLine(last)}\n`);
      },
    };
  }
  let drawnLines = 0;
  let latest: Progress | null = null;
  const clear = () => {
    // Cursor to the start of the block's first line, then erase to the end of the screen.
    if (drawnLines > 0) out.write(`\x1b[${drawnLines}F\x1b[J`);
    drawnLines = 0;
  };
  const draw = () => {
    if (!latest) return;
    const width = Math.max(40, (out.columns ?? 100) - 1);
    const cut = (line: string) => (line.length > width ? `${line.slice(0, width - 1)}…` : line);
    const lines = [
      cut(title),
      cut(`${progressBar(overallFraction(latest, options.rampPerS))} ${phaseText(latest)} · ${clock(latest.elapsedS)}`),
      cut(statusLine(latest)),
    ];
    out.write(`${lines.join('\n')}\n`);
    drawnLines = lines.length;
  };
  return {
    update(p) {
      latest = p;
      clear();
      draw();
    },
    log(line) {
      clear();
      out.write(`${line}\n`);
      draw();
    },
    finish: clear,
  };
}
