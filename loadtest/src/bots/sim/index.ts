/**
 * `--bots sim`: lightweight load-test bots in this Node process — a real WebRTC stack (libdatachannel
 * via node-datachannel: ICE, DTLS, SRTP, RTCP) with synthetic Opus/VP8 media and no encoder or decoder,
 * so that one core carries on the order of a hundred of them. See sim-bot.ts for one bot's life.
 *
 *   const factory = createSimBotFactory({ log: console.log });
 *   const bot = factory.create({ url, room, name, publish: { audio: true, video: true, simulcast: false } });
 *   await bot.start(); … bot.snapshot() … await factory.close();
 */
import type { BotFactory, BotSpec } from '../types';
import { MediaClock } from './media-clock';
import { SIMULCAST_LAYERS, SINGLE_LAYER } from './publisher';
import { loadRecordedMedia, type RecordedMedia } from './recorded-media';
import { SimBot, type Impairment } from './sim-bot';

export { SimBot, type Impairment, type SimBotCounters } from './sim-bot';

export interface SimBotFactoryOptions {
  /** Where bots report failures and warnings, one line each. Default: nowhere. */
  log?: (line: string) => void;
  /** Deliberate packet loss for every bot of this factory (default none). */
  impairment?: Impairment;
  /**
   * What publishing bots send: 'synthetic' filler (default: no encoder, nothing a browser decodes) or
   * 'recorded' real Opus and VP8 (recorded-media.ts, encoded once with Chromium and cached), so that
   * people and browser bots in the room hear and see them.
   */
  media?: 'synthetic' | 'recorded';
}

export interface SimBotFactory extends BotFactory {
  create(spec: BotSpec): SimBot;
  /** Bots created and not yet closed by the factory. */
  readonly bots: readonly SimBot[];
}

export function createSimBotFactory(options: SimBotFactoryOptions = {}): SimBotFactory {
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
    throw new Error(`sim bots need Node 22 or newer (its global WebSocket); this is Node ${process.versions.node} — run them through npm/npx`);
  }
  const log = options.log ?? (() => {});
  const impairment = checkImpairment(options.impairment ?? {});
  const clock = new MediaClock((error) => log(`sim bots: media clock: ${(error as Error)?.message ?? String(error)}`));
  const bots = new Set<SimBot>();
  let closed = false;
  // Loaded (encoded the first time) for the layers a bot sends, when the first such bot starts.
  const recorded = new Map<boolean, Promise<RecordedMedia>>();
  const loadRecorded = (simulcast: boolean): Promise<RecordedMedia> => {
    let media = recorded.get(simulcast);
    if (!media) recorded.set(simulcast, (media = loadRecordedMedia(simulcast ? SIMULCAST_LAYERS : [SINGLE_LAYER], log)));
    return media;
  };
  return {
    create(spec: BotSpec): SimBot {
      if (closed) throw new Error('this sim bot factory is closed');
      checkSpec(spec);
      const bot = new SimBot(
        { ...spec, publish: spec.publish ? { ...spec.publish } : null },
        {
          clock,
          log,
          impairment,
          ...(options.media === 'recorded' ? { recorded: loadRecorded } : {}),
        },
      );
      bots.add(bot);
      return bot;
    },
    get bots() {
      return [...bots];
    },
    async close(): Promise<void> {
      closed = true;
      const all = [...bots];
      bots.clear();
      await Promise.all(all.map((bot) => bot.close()));
    },
  };
}

/** A spec the bot could not run is refused here, with the field named, rather than failing later. */
function checkSpec(spec: BotSpec): void {
  const fail = (what: string): never => {
    throw new TypeError(`invalid sim bot spec${typeof spec?.name === 'string' ? ` "${spec.name}"` : ''}: ${what}`);
  };
  if (typeof spec !== 'object' || spec === null) fail('not an object');
  let url: URL | undefined;
  try {
    url = new URL(spec.url);
  } catch {
    fail(`url "${String(spec.url)}" is not a URL`);
  }
  if (url!.protocol !== 'ws:' && url!.protocol !== 'wss:') fail(`url must be ws:// or wss://, not ${url!.protocol}`);
  if (typeof spec.room !== 'string' || spec.room.length === 0) fail('room must be a non-empty string');
  if (typeof spec.name !== 'string' || spec.name.length === 0) fail('name must be a non-empty string');
  if (spec.token !== undefined && typeof spec.token !== 'string') fail('token must be a string');
  const p = spec.publish;
  if (p !== null) {
    if (typeof p !== 'object' || p === undefined) fail('publish must be null or {audio, video, simulcast}');
    for (const key of ['audio', 'video', 'simulcast'] as const) if (typeof p[key] !== 'boolean') fail(`publish.${key} must be a boolean`);
  }
}

function checkImpairment(impairment: Impairment): Impairment {
  for (const key of ['sendLoss'] as const) {
    const value = impairment[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 0.5)) {
      throw new RangeError(`sim bots: impairment.${key} must be a fraction from 0 to 0.5, not ${String(value)}`);
    }
  }
  return { ...impairment };
}
