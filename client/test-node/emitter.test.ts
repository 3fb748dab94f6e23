import { describe, expect, it, vi } from 'vitest';
import { Emitter, nextEvent } from '../src/lib/emitter';
import { backoffDelay, DEFAULT_BACKOFF, sleep } from '../src/lib/recovery';

interface Events {
  value: number;
  ping: void;
}

describe('Emitter', () => {
  it('on/off/once/emit with payloads', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    const off = e.on('value', (v) => seen.push(v));
    e.once('value', (v) => seen.push(v * 10));
    e.emit('value', 1);
    e.emit('value', 2);
    off();
    e.emit('value', 3);
    expect(seen).toEqual([1, 10, 2]);
    expect(e.listenerCount('value')).toBe(0);
  });

  it('a throwing listener does not stop the others', () => {
    const e = new Emitter<Events>();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let reached = false;
    e.on('ping', () => {
      throw new Error('boom');
    });
    e.on('ping', () => (reached = true));
    e.emit('ping');
    expect(reached).toBe(true);
    expect(spy).toHaveBeenCalledOnce();
    spy.mockRestore();
  });

  it('nextEvent resolves with the next payload or times out', async () => {
    const e = new Emitter<Events>();
    setTimeout(() => e.emit('value', 7), 5);
    await expect(nextEvent(e, 'value', 1000)).resolves.toBe(7);
    await expect(nextEvent(e, 'value', 10)).rejects.toThrow(/timed out/);
  });
});

describe('backoff', () => {
  it('doubles from 250 ms up to 5 s, within the jitter', () => {
    const bases = [250, 500, 1000, 2000, 4000, 5000, 5000];
    bases.forEach((base, i) => {
      const delay = backoffDelay(i + 1, DEFAULT_BACKOFF);
      expect(delay).toBeGreaterThanOrEqual(base * 0.8);
      expect(delay).toBeLessThanOrEqual(base * 1.2);
    });
  });

  it('sleep is cut short by an abort', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(5_000, controller.signal);
    controller.abort();
    await expect(slept).rejects.toThrow('aborted');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
