/**
 * Recorded media for sim bots: real VP8 and Opus, so that a browser in the room decodes and shows what
 * sim bots send (synthetic-media.ts sends filler a decoder rejects). Encoded once by Chromium's WebCodecs
 * — the browser bots' camera picture (clip.ts), looped; a quiet 440 Hz tone — and cached as JSON under
 * ~/.cache/confero/loadtest/, so later runs start at once and need no browser.
 *
 * A clip starts with its only keyframe and loops seamlessly; a sender asked for a keyframe jumps back to
 * the start of the loop at its next frame, as an encoder answers a PLI with its next frame.
 */
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Page } from 'puppeteer';
import { BASE_CHROMIUM_ARGS } from '../browser/chromium-flags';
import { resolveChromium } from '../browser/chromium-path';
import { loadtestCacheDir, renderFrame, type ClipFormat } from '../browser/clip';
import { writeFileAtomic } from '../../files';

export interface EncodedFrame {
  key: boolean;
  data: Buffer;
}

export interface VideoClipFormat {
  width: number;
  height: number;
  bitrate: number;
}

/** Per video layer (by `${width}x${height}`), and the audio: what a sim publisher sends in turn. */
export interface RecordedMedia {
  video: Map<string, EncodedFrame[]>;
  audio: EncodedFrame[];
}

const FPS = 30;
/** Two seconds: the browser bots' clip length, and a keyframe on every loop. */
const VIDEO_FRAMES = 60;
const AUDIO_PACKETS = 100; // 20 ms each
/** Bump when what is encoded changes, so stale caches are not used. */
const FORMAT_VERSION = 1;

export const layerKey = (layer: { width: number; height: number }): string => `${layer.width}x${layer.height}`;

/** The clips for these layers and the audio, from the cache or encoded now (launching Chromium once). */
export async function loadRecordedMedia(layers: VideoClipFormat[], log: (line: string) => void, dir = loadtestCacheDir()): Promise<RecordedMedia> {
  const want = [...new Map(layers.map((l) => [layerKey(l), l])).values()];
  const files = {
    audio: path.join(dir, `opus-v${FORMAT_VERSION}-tone-${AUDIO_PACKETS}x20ms.json`),
    video: want.map((l) => ({ layer: l, file: path.join(dir, `vp8-v${FORMAT_VERSION}-${layerKey(l)}-${l.bitrate}bps-${FPS}fps-${VIDEO_FRAMES}f.json`) })),
  };
  let audio = readClip(files.audio);
  const video = new Map(files.video.map(({ layer, file }) => [layerKey(layer), readClip(file)]));
  if (audio && [...video.values()].every((clip) => clip !== undefined)) {
    return { audio, video: video as Map<string, EncodedFrame[]> };
  }
  log(`sim bots: encoding their recorded media once with Chromium's WebCodecs (cached in ${dir})`);
  const chromium = await resolveChromium({ log });
  const browser = await puppeteer.launch({ executablePath: chromium.executablePath, headless: true, args: BASE_CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    // WebCodecs needs a secure context: a localhost page, answered here so nothing reaches the network.
    await page.setRequestInterception(true);
    page.on('request', (request) => void request.respond({ status: 200, contentType: 'text/html', body: '<!doctype html>' }));
    await page.goto('http://localhost/');
    await page.evaluate(PAGE_ENCODERS);
    if (!audio) {
      audio = await encodeAudio(page);
      writeClip(files.audio, audio);
    }
    for (const { layer, file } of files.video) {
      if (video.get(layerKey(layer))) continue;
      const clip = await encodeVideo(page, layer);
      writeClip(file, clip);
      video.set(layerKey(layer), clip);
    }
  } finally {
    await browser.close().catch(() => undefined);
  }
  return { audio, video: video as Map<string, EncodedFrame[]> };
}

interface PageChunk {
  key: boolean;
  data: string;
}

/**
 * The encoders, run in the page. A string, not functions: the TypeScript loader would put helper calls
 * of its own into functions passed to the page.
 */
const PAGE_ENCODERS = String.raw`(() => {
  const toBase64 = (chunk) => {
    const bytes = new Uint8Array(chunk.byteLength);
    chunk.copyTo(bytes);
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary);
  };
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  let video;
  globalThis.__startVideo = ({ width, height, bitrate, fps }) => {
    const state = { chunks: [], error: '', width, height, fps };
    state.encoder = new VideoEncoder({
      output: (chunk) => state.chunks.push({ key: chunk.type === 'key', data: toBase64(chunk) }),
      error: (error) => (state.error = String(error)),
    });
    state.encoder.configure({ codec: 'vp8', width, height, bitrate, framerate: fps, latencyMode: 'realtime' });
    video = state;
  };
  globalThis.__encodeFrame = (index, planes) => {
    const frame = new VideoFrame(fromBase64(planes), {
      format: 'I420', codedWidth: video.width, codedHeight: video.height, timestamp: Math.round((index * 1e6) / video.fps),
    });
    video.encoder.encode(frame, { keyFrame: index === 0 });
    frame.close();
  };
  globalThis.__finishVideo = async () => {
    await video.encoder.flush();
    video.encoder.close();
    return { chunks: video.chunks, error: video.error };
  };
  // A quiet 440 Hz tone: whole periods in the clip, so the loop has no click.
  globalThis.__encodeAudio = async (packets) => {
    const state = { chunks: [], error: '' };
    const encoder = new AudioEncoder({
      output: (chunk) => state.chunks.push({ key: true, data: toBase64(chunk) }),
      error: (error) => (state.error = String(error)),
    });
    const sampleRate = 48000;
    encoder.configure({ codec: 'opus', sampleRate, numberOfChannels: 1, bitrate: 32000 });
    const perPacket = sampleRate / 50;
    for (let p = 0; p < packets; p++) {
      const samples = new Float32Array(perPacket);
      for (let s = 0; s < perPacket; s++) samples[s] = 0.05 * Math.sin((2 * Math.PI * 440 * (p * perPacket + s)) / sampleRate);
      const data = new AudioData({ format: 'f32', sampleRate, numberOfFrames: perPacket, numberOfChannels: 1, timestamp: p * 20000, data: samples });
      encoder.encode(data);
      data.close();
    }
    await encoder.flush();
    encoder.close();
    return state;
  };
})()`;

interface PageApi {
  __startVideo(format: VideoClipFormat & { fps: number }): void;
  __encodeFrame(index: number, planes: string): void;
  __finishVideo(): Promise<{ chunks: PageChunk[]; error: string }>;
  __encodeAudio(packets: number): Promise<{ chunks: PageChunk[]; error: string }>;
}

async function encodeVideo(page: Page, layer: VideoClipFormat): Promise<EncodedFrame[]> {
  const format: ClipFormat = { width: layer.width, height: layer.height, fps: FPS, frames: VIDEO_FRAMES };
  await page.evaluate((f) => (globalThis as unknown as PageApi).__startVideo(f), { ...layer, fps: FPS });
  for (let i = 0; i < VIDEO_FRAMES; i++) {
    await page.evaluate((index, planes) => (globalThis as unknown as PageApi).__encodeFrame(index, planes), i, renderFrame(format, i).toString('base64'));
  }
  const result = await page.evaluate(() => (globalThis as unknown as PageApi).__finishVideo());
  if (result.error) throw new Error(`encoding the sim bots' VP8 clip failed: ${result.error}`);
  return checked(result.chunks, VIDEO_FRAMES, `VP8 ${layerKey(layer)}`);
}

async function encodeAudio(page: Page): Promise<EncodedFrame[]> {
  const result = await page.evaluate((packets) => (globalThis as unknown as PageApi).__encodeAudio(packets), AUDIO_PACKETS);
  if (result.error) throw new Error(`encoding the sim bots' Opus clip failed: ${result.error}`);
  return checked(result.chunks, AUDIO_PACKETS, 'Opus');
}

function checked(chunks: PageChunk[], count: number, what: string): EncodedFrame[] {
  // Opus flushes one packet more (its look-ahead): the loop is the first `count`.
  if (chunks.length < count || !chunks[0]?.key) {
    throw new Error(`the ${what} clip came out as ${chunks.length} frames (${count} expected, the first a keyframe)`);
  }
  return fromChunks(chunks.slice(0, count));
}

/** The page's and the cache's form: base64 data. */
function fromChunks(chunks: PageChunk[]): EncodedFrame[] {
  return chunks.map((c) => ({ key: c.key === true, data: Buffer.from(c.data, 'base64') }));
}

function readClip(file: string): EncodedFrame[] | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { frames: PageChunk[] };
    const frames = fromChunks(parsed.frames);
    return frames.length > 0 && frames[0]!.key && frames.every((f) => f.data.length > 0) ? frames : undefined;
  } catch {
    return undefined; // missing or damaged: encoded again
  }
}

function writeClip(file: string, frames: EncodedFrame[]): void {
  writeFileAtomic(file, JSON.stringify({ frames: frames.map((f) => ({ key: f.key, data: f.data.toString('base64') })) }));
}
