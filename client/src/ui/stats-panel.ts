/**
 * Per-stream statistics from the browser's own RTCPeerConnection stats: bitrate, packet loss, RTT,
 * resolution, frame rate and codec, refreshed every 2 s while the panel is open.
 */
import { h } from './dom';

export interface StatsSource {
  label: string;
  direction: 'in' | 'out';
  getStats(): Promise<RTCStatsReport>;
}

interface Row {
  stream: string;
  kbps: string;
  loss: string;
  rtt: string;
  resolution: string;
  fps: string;
  codec: string;
}

const previous = new Map<string, { bytes: number; at: number }>();

export async function summarize(source: StatsSource): Promise<Row> {
  const report = await source.getStats();
  let bytes = 0;
  let lost = 0;
  let packets = 0;
  let rtt: number | undefined;
  let width: number | undefined;
  let height: number | undefined;
  let fps: number | undefined;
  let codecId: string | undefined;
  report.forEach((s: Record<string, unknown> & { type: string }) => {
    const rtp = source.direction === 'in' ? 'inbound-rtp' : 'outbound-rtp';
    if (s.type === rtp) {
      bytes += Number(source.direction === 'in' ? s.bytesReceived : s.bytesSent) || 0;
      packets += Number(source.direction === 'in' ? s.packetsReceived : s.packetsSent) || 0;
      lost += Number(s.packetsLost) || 0;
      width = Math.max(width ?? 0, Number(s.frameWidth) || 0) || width;
      height = Math.max(height ?? 0, Number(s.frameHeight) || 0) || height;
      fps = Math.max(fps ?? 0, Number(s.framesPerSecond) || 0) || fps;
      codecId ??= s.codecId as string | undefined;
    }
    if (s.type === 'remote-inbound-rtp' && typeof s.roundTripTime === 'number') rtt = s.roundTripTime;
    if (s.type === 'remote-inbound-rtp' && typeof s.packetsLost === 'number') lost += s.packetsLost;
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated && typeof s.currentRoundTripTime === 'number') rtt ??= s.currentRoundTripTime;
  });
  const codec = codecId ? (report.get(codecId) as { mimeType?: string } | undefined)?.mimeType?.split('/')[1] : undefined;
  const now = performance.now();
  const before = previous.get(source.label);
  previous.set(source.label, { bytes, at: now });
  const kbps = before && now > before.at ? ((bytes - before.bytes) * 8) / (now - before.at) : undefined;
  const lossPct = packets + lost > 0 ? (100 * lost) / (packets + lost) : 0;
  return {
    stream: source.label,
    kbps: kbps === undefined ? '…' : kbps.toFixed(0),
    loss: `${lossPct.toFixed(1)}%`,
    rtt: rtt === undefined ? '–' : `${(rtt * 1000).toFixed(0)} ms`,
    resolution: width && height ? `${width}×${height}` : '–',
    fps: fps ? fps.toFixed(0) : '–',
    codec: codec ?? '–',
  };
}

export class StatsPanel {
  readonly element = h('div', { class: 'stats', hidden: true, 'data-stats': '1' });
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly sources: () => StatsSource[]) {}

  toggle(): void {
    this.element.hidden = !this.element.hidden;
    clearInterval(this.#timer);
    if (!this.element.hidden) {
      void this.refresh();
      this.#timer = setInterval(() => void this.refresh(), 2000);
    }
  }

  async refresh(): Promise<void> {
    const rows = await Promise.all(this.sources().map((s) => summarize(s).catch(() => undefined)));
    const head = h(
      'tr',
      {},
      ['stream', 'kbit/s', 'loss', 'RTT', 'resolution', 'fps', 'codec'].map((t) => h('th', { text: t })),
    );
    const body = rows
      .filter((r): r is Row => r !== undefined)
      .map((r) =>
        h(
          'tr',
          {},
          [r.stream, r.kbps, r.loss, r.rtt, r.resolution, r.fps, r.codec].map((t) => h('td', { text: t })),
        ),
      );
    this.element.replaceChildren(h('table', {}, [head, ...body]));
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
