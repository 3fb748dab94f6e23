/**
 * The address a browser bot opens: the server's own join page with the switches that make it join at
 * once (client/src/ui/params.ts). The page always signals on `<its origin>/ws`, so the bot's signalling
 * URL must be exactly that endpoint; its http(s) origin follows from it (ws → http, wss → https).
 */
import type { BotSpec } from '../types';

export interface BotPage {
  /** http(s)://host:port — what the browser's capture permission is granted for. */
  origin: string;
  url: string;
}

/** `joinForm`: leave the name out, so the page shows its join form instead of joining at once. */
export function botPageFor(spec: Pick<BotSpec, 'url' | 'room' | 'name' | 'publish' | 'token'>, joinForm = false): BotPage {
  let ws: URL;
  try {
    ws = new URL(spec.url);
  } catch {
    throw new Error(`bot url must be a ws:// or wss:// URL of the signalling endpoint, got ${JSON.stringify(spec.url)}`);
  }
  if (ws.protocol !== 'ws:' && ws.protocol !== 'wss:') {
    throw new Error(`bot url must start with ws:// or wss://, got ${JSON.stringify(spec.url)}`);
  }
  if (ws.pathname !== '/ws') {
    throw new Error(`browser bots open the page at the server's root, which signals on /ws; the url's path is ${JSON.stringify(ws.pathname)} (expected …/ws)`);
  }
  if (!spec.room.trim() || !spec.name.trim()) throw new Error('bot room and name must not be empty');
  const origin = `${ws.protocol === 'wss:' ? 'https' : 'http'}://${ws.host}`;
  const publish = spec.publish;
  const flag = (on: boolean | undefined): string => (on ? '1' : '0');
  const query = new URLSearchParams({
    room: spec.room,
    ...(joinForm ? {} : { name: spec.name }),
    video: flag(publish?.video),
    audio: flag(publish?.audio),
    simulcast: flag(publish?.simulcast),
    // The page joins with ?token= (client/src/ui/params.ts), as a person opening a join link would.
    ...(spec.token !== undefined ? { token: spec.token } : {}),
  });
  return { origin, url: `${origin}/?${query}` };
}
