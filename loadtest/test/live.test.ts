/** The live terminal view: redrawn block on a TTY, throttled plain lines elsewhere, progress through ramp and hold. */
import { describe, expect, it } from 'vitest';
import { createLiveView, overallFraction, progressBar, statusLine } from '../src/live';
import type { Progress } from '../src/runner';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, columns: 200, write: (chunk: string) => (chunks.push(chunk), true) } as unknown as NodeJS.WriteStream };
}

function progress(over: Partial<Progress> = {}): Progress {
  return {
    phase: 'ramp',
    elapsedS: 3,
    planned: 10,
    launched: 5,
    holdElapsedS: 0,
    holdS: 8,
    point: {
      t: 3,
      phase: 'ramp',
      launched: 5,
      joined: 4,
      failed: 1,
      inboundKbps: 2000,
      bitrateKbps: 500,
      lossPct: 0.25,
      server: { cpuPct: { node: 3, workers: 20, total: 23 }, rssMb: { node: 100, workers: 40, total: 140 } },
    },
    server: { available: true },
    ...over,
  };
}

describe('progress', () => {
  it('spreads the bar over the ramp and the hold by their expected lengths', () => {
    // 10 bots at 5/s: a 2 s ramp, then an 8 s hold.
    expect(overallFraction(progress(), 5)).toBeCloseTo(0.1);
    expect(overallFraction(progress({ phase: 'hold', launched: 10, holdElapsedS: 4 }), 5)).toBeCloseTo(0.6);
    expect(overallFraction(progress({ phase: 'teardown', launched: 10, holdElapsedS: 8 }), 5)).toBe(1);
    expect(progressBar(0.5, 10)).toBe('[█████░░░░░]  50%');
  });

  it('shows joined, failed, bitrate, loss and server CPU', () => {
    expect(statusLine(progress())).toBe('joined 4, failed 1 · in 500 kbps/bot · loss 0.25 % · server CPU 23 % (node 3, workers 20)');
    expect(statusLine(progress({ server: { available: false, reason: '404' } }))).toContain('server n/a');
  });
});

describe('createLiveView', () => {
  it('redraws a block in place on a TTY and prints log lines above it', () => {
    const { chunks, out } = sink(true);
    const view = createLiveView({ out, title: 'load test', rampPerS: 5 });
    view.update(progress());
    expect(chunks.join('')).toMatch(/^load test\n\[█{3}░{27}\]  10% ramp 5\/10 started · 00:03\njoined 4/);
    chunks.length = 0;
    view.log('r0-b3: join failed: room_full');
    // Up three lines and erase, the log line, then the block again.
    expect(chunks[0]).toBe('\x1b[3F\x1b[J');
    expect(chunks[1]).toBe('r0-b3: join failed: room_full\n');
    expect(chunks[2]).toMatch(/^load test\n/);
    chunks.length = 0;
    view.finish();
    expect(chunks).toEqual(['\x1b[3F\x1b[J']);
  });

  it('prints one plain line per interval when not a TTY, logs to the error stream', () => {
    const { chunks, out } = sink(false);
    const errors = sink(false);
    const view = createLiveView({ out, err: errors.out, title: 'load test', rampPerS: 5, plainEveryS: 3600 });
    view.update(progress());
    view.update(progress({ launched: 6 }));
    view.log('a log line');
    expect(chunks).toEqual(['[00:03] ramp 5/10 started · joined 4, failed 1 · in 500 kbps/bot · loss 0.25 % · server CPU 23 % (node 3, workers 20)\n']);
    expect(errors.chunks).toEqual(['a log line\n']);
    expect(chunks.join('')).not.toContain('\x1b');
  });
});
