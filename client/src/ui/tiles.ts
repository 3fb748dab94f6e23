/**
 * The grid of video tiles: one per remote camera or screen, plus the local preview. Audio plays through
 * hidden <audio> elements. Each remote video tile asks the server for the simulcast/SVC layer that fits its
 * rendered size, so a thumbnail does not cost a 720p stream.
 */
import { h, initials } from './dom';

export interface TileKey {
  peerId: string;
  source: string;
}

interface Tile {
  key: TileKey;
  element: HTMLElement;
  video: HTMLVideoElement;
  label: HTMLElement;
  consumerId: string;
  layer: number | undefined;
}

/** Rendered height → spatial layer of a 3-layer simulcast (¼, ½, full resolution). */
export function layerForHeight(height: number): number {
  if (height < 180) return 0;
  if (height < 360) return 1;
  return 2;
}

export class TileGrid {
  readonly element = h('div', { class: 'grid' });
  readonly #tiles = new Map<string, Tile>();
  readonly #audio = new Map<string, HTMLAudioElement>();
  readonly #names = new Map<string, string>();
  readonly #micOff = new Set<string>();
  #local: HTMLElement | undefined;
  readonly #resize = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const tile = [...this.#tiles.values()].find((t) => t.video === entry.target);
      if (tile) this.#fitLayer(tile, entry.contentRect.height);
    }
  });

  constructor(private readonly requestLayer: (consumerId: string, spatialLayer: number) => void) {
    addEventListener('resize', () => this.#layout());
  }

  static key({ peerId, source }: TileKey): string {
    return `${peerId}:${source}`;
  }

  setLocal(track: MediaStreamTrack | undefined, name: string): void {
    this.#local?.remove();
    this.#local = undefined;
    if (!track) return this.#layout();
    const video = h('video', { autoplay: true, muted: true, playsInline: true, 'data-local': '1' });
    video.srcObject = new MediaStream([track]);
    this.#local = h('div', { class: 'tile local', 'data-initials': initials(name) }, [video, h('div', { class: 'label', text: `${name} (you)` })]);
    this.element.prepend(this.#local);
    this.#layout();
  }

  setLocalVideoOff(off: boolean): void {
    this.#local?.classList.toggle('video-off', off);
  }

  addVideo(key: TileKey, consumerId: string, track: MediaStreamTrack, paused: boolean): void {
    this.removeVideo(key);
    const name = this.#names.get(key.peerId) ?? 'Guest';
    const video = h('video', { autoplay: true, muted: true, playsInline: true, 'data-peer-id': key.peerId, 'data-source': key.source });
    video.srcObject = new MediaStream([track]);
    const label = h('div', { class: 'label' });
    const element = h('div', { class: `tile ${key.source === 'screen' ? 'screen' : ''}`, 'data-tile-peer': key.peerId, 'data-initials': initials(name) }, [
      video,
      label,
    ]);
    const tile: Tile = { key, element, video, label, consumerId, layer: undefined };
    this.#tiles.set(TileGrid.key(key), tile);
    element.classList.toggle('video-off', paused);
    this.element.append(element);
    this.#renderLabel(key.peerId);
    if (key.source !== 'screen') this.#resize.observe(video);
    this.#layout();
  }

  removeVideo(key: TileKey): void {
    const tile = this.#tiles.get(TileGrid.key(key));
    if (!tile) return;
    this.#resize.unobserve(tile.video);
    tile.video.srcObject = null;
    tile.element.remove();
    this.#tiles.delete(TileGrid.key(key));
    this.#layout();
  }

  setVideoPaused(key: TileKey, paused: boolean): void {
    this.#tiles.get(TileGrid.key(key))?.element.classList.toggle('video-off', paused);
  }

  addAudio(consumerId: string, peerId: string, track: MediaStreamTrack): void {
    const audio = h('audio', { autoplay: true, 'data-peer-id': peerId });
    audio.srcObject = new MediaStream([track]);
    this.#audio.set(consumerId, audio);
    this.element.append(audio);
  }

  removeAudio(consumerId: string): void {
    this.#audio.get(consumerId)?.remove();
    this.#audio.delete(consumerId);
  }

  setName(peerId: string, name: string): void {
    this.#names.set(peerId, name);
    this.#renderLabel(peerId);
  }

  setMicOff(peerId: string, off: boolean): void {
    if (off) this.#micOff.add(peerId);
    else this.#micOff.delete(peerId);
    this.#renderLabel(peerId);
  }

  setSpeaker(peerId: string | null): void {
    for (const tile of this.#tiles.values()) tile.element.classList.toggle('speaking', tile.key.peerId === peerId && tile.key.source === 'webcam');
  }

  /** Everything of a peer who left. */
  removePeer(peerId: string): void {
    for (const tile of [...this.#tiles.values()]) if (tile.key.peerId === peerId) this.removeVideo(tile.key);
    this.#micOff.delete(peerId);
  }

  clearRemote(): void {
    for (const tile of [...this.#tiles.values()]) this.removeVideo(tile.key);
    for (const id of [...this.#audio.keys()]) this.removeAudio(id);
  }

  #renderLabel(peerId: string): void {
    const name = this.#names.get(peerId) ?? 'Guest';
    for (const tile of this.#tiles.values()) {
      if (tile.key.peerId !== peerId) continue;
      const screen = tile.key.source === 'screen';
      tile.label.replaceChildren(h('span', { class: this.#micOff.has(peerId) && !screen ? 'mic-off' : '', text: screen ? `${name} — screen` : name }));
      tile.element.dataset.initials = initials(name);
    }
  }

  #fitLayer(tile: Tile, height: number): void {
    const layer = layerForHeight(height * devicePixelRatio);
    if (layer === tile.layer || height === 0) return;
    tile.layer = layer;
    this.requestLayer(tile.consumerId, layer);
  }

  /** Columns follow the tile count: 1, 2, 2×2, 3×… ; phones stack up to two columns. */
  #layout(): void {
    const count = this.element.querySelectorAll('.tile').length;
    const narrow = matchMedia('(max-width: 640px)').matches;
    const columns = Math.max(1, narrow ? Math.min(2, count > 2 ? 2 : 1) : Math.ceil(Math.sqrt(count)));
    this.element.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
  }
}
