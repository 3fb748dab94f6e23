/**
 * Chromium switches for browser bots — also the set the client's end-to-end tests use
 * (testkit/browser.ts imports it) — plus what a load test needs on top: the motion clip as
 * camera, muted output and no certificate checks.
 */
export const BASE_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Chromium gathers no loopback ICE candidates without this; servers under test often live on 127.0.0.1.
  '--allow-loopback-in-peer-connection',
  // Every bot is a background tab: it must keep encoding, decoding and running timers at full rate.
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--autoplay-policy=no-user-gesture-required',
];

export interface BotChromiumArgsOptions {
  /** The y4m clip the fake camera plays (looped). */
  clipPath: string;
  /** The page's origin: capture is allowed there even on plain http to a non-localhost host. */
  origin: string;
}

export function botChromiumArgs({ clipPath, origin }: BotChromiumArgsOptions): string[] {
  const args = [
    ...BASE_CHROMIUM_ARGS,
    `--use-file-for-fake-video-capture=${clipPath}`,
    // Bots hear everything (remote audio elements play) but must not play it on the machine's speakers.
    '--mute-audio',
    // A load test against a staging server with a self-signed certificate is the common case.
    '--ignore-certificate-errors',
  ];
  // getUserMedia needs a secure context: https or localhost. A load test against http://10.0.0.5:3000
  // would otherwise join without camera or microphone.
  if (origin.startsWith('http:')) args.push(`--unsafely-treat-insecure-origin-as-secure=${origin}`);
  return args;
}
