/**
 * The WebRTC objects the DOM-free client library handles without creating them: tracks (from the page's
 * getUserMedia or a bot's fake) and stats reports. The library is compiled without lib.dom (so it cannot
 * reach for document or window unnoticed: bots run it in Node), and these declarations give it just the
 * members it uses, with lib.dom's own types — in the page's DOM build they merge with the real ones.
 */
interface MediaStreamTrack {
  readonly id: string;
  readonly kind: string;
  readonly readyState: 'ended' | 'live';
  enabled: boolean;
  stop(): void;
}

interface RTCStatsReport extends ReadonlyMap<string, any> {}
