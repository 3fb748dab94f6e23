/**
 * What a browser bot measures inside its page, the real Confero page (client/src/ui). A small script
 * installed before the page's own code (page.evaluateOnNewDocument) records the moments only the page
 * sees — the signalling socket opening, the session's `joined` event, each remote stream's first packet
 * (audio: the track's `unmute`) or first decoded frame on screen (video: requestVideoFrameCallback) — and
 * collect() adds the counters of the browser's own WebRTC stats, read through the session that the call
 * view exposes as `globalThis.confero.session`. The runner polls collect() about once a second; it returns
 * a few hundred bytes, so polling stays cheap.
 *
 * The script is plain JavaScript in a string on purpose: functions passed to puppeteer are serialized
 * with toString(), and the TypeScript loaders (tsx, vitest) may inject helpers such as `__name` that do
 * not exist in the page.
 */
import type { Page } from 'puppeteer';
import type { StreamStats } from '../types';

/** One remote stream as the page sees it; `bytes` are RTP bytes, payload plus headers (as a packet-counting bot would count them). */
export interface ProbedStream extends StreamStats {
  consumerId: string;
  source: string;
}

export interface ProbeReading {
  /** body[data-state]: joining, joined, reconnecting, left, or error (the page could not join). */
  pageState?: string;
  /** The page's text when it could not join ("Could not join: …"). */
  pageMessage?: string;
  wsOpenAt?: number;
  joinedAt?: number;
  /** Set when the session gave up reconnecting: the bot is out of the call for good. */
  sessionFailure?: string;
  peerId?: string;
  connectionState?: string;
  /** Sources with a live producer (mic, webcam…). */
  published: string[];
  /** getUserMedia failures, e.g. "video: NotReadableError: Could not start video source". */
  captureErrors: string[];
  sent: { packets: number; bytes: number };
  streams: ProbedStream[];
}

export const PROBE_SCRIPT = String.raw`(() => {
  if (globalThis.__conferoBot) return;
  const probe = { wsOpenAt: undefined, joinedAt: undefined, failure: undefined, captureErrors: [], first: new Map(), frameWatched: new Set() };
  const markFirst = (consumerId) => { if (!probe.first.has(consumerId)) probe.first.set(consumerId, Date.now()); };

  // The signalling socket is made inside the client library: note when the first one to /ws opens.
  const NativeWebSocket = globalThis.WebSocket;
  globalThis.WebSocket = class WebSocket extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      if (String(args[0]).replace(/\?.*$/, '').endsWith('/ws')) {
        this.addEventListener('open', () => { if (probe.wsOpenAt === undefined) probe.wsOpenAt = Date.now(); }, { once: true });
      }
    }
  };

  // The page only logs a warning when the camera or microphone fails; keep the reason for the bot.
  const mediaDevices = navigator.mediaDevices;
  if (mediaDevices && mediaDevices.getUserMedia) {
    const getUserMedia = mediaDevices.getUserMedia.bind(mediaDevices);
    mediaDevices.getUserMedia = async (constraints) => {
      try {
        return await getUserMedia(constraints);
      } catch (error) {
        const kinds = ['audio', 'video'].filter((kind) => constraints && constraints[kind]).join('+');
        probe.captureErrors.push(kinds + ': ' + (error && error.name) + ': ' + (error && error.message));
        throw error;
      }
    };
  }

  function watchTrack(t) {
    if (probe.first.has(t.consumerId)) return;
    if (t.kind === 'audio') {
      // A received track starts muted and unmutes when its first RTP packet arrives.
      if (!t.track.muted) markFirst(t.consumerId);
      else t.track.addEventListener('unmute', () => markFirst(t.consumerId), { once: true });
      return;
    }
    // The page renders the track in its own 'track' listener, which runs right after this one.
    queueMicrotask(() => {
      const video = [...document.querySelectorAll('video')].find((v) => v.srcObject && v.srcObject.getVideoTracks().some((track) => track.id === t.track.id));
      if (!video || typeof video.requestVideoFrameCallback !== 'function') return;
      probe.frameWatched.add(t.consumerId);
      video.requestVideoFrameCallback(() => markFirst(t.consumerId));
    });
  }

  function watchSession(session) {
    session.on('joined', () => { if (probe.joinedAt === undefined) probe.joinedAt = Date.now(); });
    session.on('track', watchTrack);
    session.on('error', ({ context, error }) => {
      if (context === 'reconnect' || context === 'connection') probe.failure = context + ': ' + (error && error.message);
    });
  }

  // The call view publishes its session as globalThis.confero = { session } right after creating it,
  // before join(): catching that assignment lets us subscribe before any event fires.
  let confero;
  Object.defineProperty(globalThis, 'confero', {
    configurable: true,
    enumerable: true,
    get: () => confero,
    set: (value) => {
      confero = value;
      if (value && value.session) watchSession(value.session);
    },
  });

  function selectedPair(report, stats) {
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    return (transport && report.get(transport.selectedCandidatePairId)) ||
      stats.find((s) => s.type === 'candidate-pair' && (s.selected || s.nominated) && s.state === 'succeeded');
  }

  async function collect() {
    const body = document.body;
    const out = {
      pageState: body ? body.dataset.state : undefined,
      wsOpenAt: probe.wsOpenAt,
      joinedAt: probe.joinedAt,
      sessionFailure: probe.failure,
      published: [],
      captureErrors: probe.captureErrors.slice(0, 5),
      sent: { packets: 0, bytes: 0 },
      streams: [],
    };
    if (out.pageState === 'error') out.pageMessage = ((document.getElementById('app') || body).textContent || '').trim().slice(0, 500);
    const session = confero && confero.session;
    if (!session) return out;
    out.peerId = session.peerId;
    out.connectionState = session.connectionState;
    out.published = session.publications.filter((p) => p.producerId).map((p) => p.source);
    const tracks = new Map(session.remoteTracks.map((t) => [t.track.id, t]));
    const sources = session.statsSources();
    const reports = await Promise.all(sources.map((s) => s.getStats().catch(() => undefined)));
    reports.forEach((report, i) => {
      if (!report) return;
      const stats = [...report.values()];
      if (sources[i].direction === 'out') {
        for (const s of stats) {
          if (s.type !== 'outbound-rtp') continue;
          out.sent.packets += s.packetsSent || 0;
          out.sent.bytes += (s.bytesSent || 0) + (s.headerBytesSent || 0);
        }
        return;
      }
      const inbound = stats.find((s) => s.type === 'inbound-rtp');
      const t = inbound && tracks.get(inbound.trackIdentifier);
      if (!t) return;
      const video = t.kind === 'video';
      // Without a frame callback (no <video> for the track), the first poll that sees media stands in.
      if (!probe.frameWatched.has(t.consumerId) && (video ? inbound.framesDecoded > 0 : inbound.packetsReceived > 0)) markFirst(t.consumerId);
      const pair = selectedPair(report, stats);
      out.streams.push({
        consumerId: t.consumerId,
        peerId: t.peerId,
        kind: t.kind,
        source: t.source,
        packets: inbound.packetsReceived || 0,
        bytes: (inbound.bytesReceived || 0) + (inbound.headerBytesReceived || 0),
        lost: Math.max(0, inbound.packetsLost || 0),
        jitterMs: (inbound.jitter || 0) * 1000,
        rttMs: pair && typeof pair.currentRoundTripTime === 'number' ? pair.currentRoundTripTime * 1000 : undefined,
        firstAt: probe.first.get(t.consumerId),
        freezeCount: video ? inbound.freezeCount || 0 : undefined,
        freezeMs: video ? (inbound.totalFreezesDuration || 0) * 1000 : undefined,
      });
    });
    return out;
  }

  globalThis.__conferoBot = { collect };
})();`;

/** Installs the probe in every document the page loads; call before page.goto(). */
export async function installProbe(page: Page): Promise<void> {
  await page.evaluateOnNewDocument(PROBE_SCRIPT);
}

/** One reading of the page's probe; null before the probe exists (page still loading). */
export async function readProbe(page: Page): Promise<ProbeReading | null> {
  return (await page.evaluate('globalThis.__conferoBot ? globalThis.__conferoBot.collect() : null')) as ProbeReading | null;
}
