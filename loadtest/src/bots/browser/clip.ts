/**
 * The fake camera's picture: a small YUV4MPEG2 (y4m) clip with motion, which Chromium plays in a loop
 * through `--use-file-for-fake-video-capture`. Chromium's own fake camera is a mostly static pattern that
 * encodes to almost nothing; a moving, textured picture makes the encoder, the SFU and the receivers work
 * like they do for a real camera. Generated in Node (no ffmpeg needed) and cached, so every browser of a
 * run — and every later run — reads the same file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../files';

export interface ClipFormat {
  width: number;
  height: number;
  fps: number;
  frames: number;
}

/** 640×360 at 30 fps for 2 s (60 frames, ~20 MB): a typical webcam stream, and the motion loops seamlessly. */
export const DEFAULT_CLIP: ClipFormat = { width: 640, height: 360, fps: 30, frames: 60 };

/** Bump when the picture changes, so that cached clips of an older pattern are not reused. */
const PATTERN_VERSION = 1;

export function loadtestCacheDir(): string {
  return path.join(process.env.CONFERO_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'confero'), 'loadtest');
}

export function y4mHeader({ width, height, fps }: ClipFormat): string {
  // C420jpeg: 4:2:0 planes in I420 order (Y, then U, then V), the layout Chromium's y4m reader expects.
  return `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`;
}

const FRAME_HEADER = 'FRAME\n';

/** Bytes of one frame's planes: full-size Y plus quarter-size U and V. */
export function frameBytes({ width, height }: ClipFormat): number {
  return width * height + 2 * (width / 2) * (height / 2);
}

export function clipBytes(format: ClipFormat): number {
  return Buffer.byteLength(y4mHeader(format)) + format.frames * (FRAME_HEADER.length + frameBytes(format));
}

function validate(format: ClipFormat): void {
  const { width, height, fps, frames } = format;
  const ok = (n: number, min: number, max: number): boolean => Number.isInteger(n) && n >= min && n <= max;
  if (!ok(width, 16, 3840) || !ok(height, 16, 2160) || width % 2 !== 0 || height % 2 !== 0) {
    throw new Error(`clip size must be even and 16×16…3840×2160, got ${width}×${height}`);
  }
  if (!ok(fps, 1, 60) || !ok(frames, 1, 600)) throw new Error(`clip needs 1–60 fps and 1–600 frames, got ${fps} fps, ${frames} frames`);
}

/**
 * One frame of the pattern: diagonal luma waves drifting sideways, a fine checker texture that moves with
 * them (so the encoder has detail to spend bits on), a bright square on a Lissajous path, and slowly
 * cycling colour. Every motion completes whole periods over the clip, so Chromium's loop has no jump.
 */
export function renderFrame(format: ClipFormat, index: number): Buffer {
  const { width, height, frames } = format;
  const frame = Buffer.alloc(frameBytes(format));
  const phase = index / frames; // 0…1 over the clip
  const wave = 160; // px per luma wave
  const shift = Math.round(phase * 2 * wave); // two whole waves per loop
  const square = Math.round(Math.min(width, height) / 6);
  const squareX = Math.round((width - square) / 2 + ((width - square) / 2) * Math.sin(2 * Math.PI * phase));
  const squareY = Math.round((height - square) / 2 + ((height - square) / 2) * Math.sin(4 * Math.PI * phase));
  const lumaWave = new Float64Array(wave);
  for (let i = 0; i < wave; i++) lumaWave[i] = 110 + 70 * Math.sin((2 * Math.PI * i) / wave);

  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const inSquare = x >= squareX && x < squareX + square && y >= squareY && y < squareY + square;
      if (inSquare) {
        frame[row + x] = 235;
        continue;
      }
      const u = x + (y >> 1) + shift;
      const checker = ((u >> 2) ^ (y >> 2)) & 1 ? 12 : -12;
      frame[row + x] = Math.round(lumaWave[u % wave]! + checker);
    }
  }
  const chromaWidth = width / 2;
  const chromaHeight = height / 2;
  const uPlane = width * height;
  const vPlane = uPlane + chromaWidth * chromaHeight;
  for (let y = 0; y < chromaHeight; y++) {
    for (let x = 0; x < chromaWidth; x++) {
      const i = y * chromaWidth + x;
      frame[uPlane + i] = Math.round(128 + 50 * Math.sin(2 * Math.PI * (x / chromaWidth + phase)));
      frame[vPlane + i] = Math.round(128 + 50 * Math.cos(2 * Math.PI * (y / chromaHeight + phase)));
    }
  }
  return frame;
}

/** The clip's bytes: header, then FRAME + planes for every frame. */
export function renderClip(format: ClipFormat = DEFAULT_CLIP): Buffer {
  validate(format);
  const parts: Buffer[] = [Buffer.from(y4mHeader(format))];
  for (let i = 0; i < format.frames; i++) parts.push(Buffer.from(FRAME_HEADER), renderFrame(format, i));
  return Buffer.concat(parts);
}

/**
 * The path of the cached clip, generated first if missing or incomplete (written whole: a concurrent run
 * never reads half of it).
 */
export function ensureClip(format: ClipFormat = DEFAULT_CLIP, dir = loadtestCacheDir()): string {
  validate(format);
  const file = path.join(dir, `motion-v${PATTERN_VERSION}-${format.width}x${format.height}-${format.fps}fps-${format.frames}f.y4m`);
  const existing = fs.statSync(file, { throwIfNoEntry: false });
  if (existing?.size === clipBytes(format)) return file;
  writeFileAtomic(file, renderClip(format));
  return file;
}
