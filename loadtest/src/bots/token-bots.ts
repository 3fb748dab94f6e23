/**
 * Bots for a server with AUTH_KEYS: wraps any bot factory so that each bot, as it starts, gets its own
 * access token — identity `bot-<name>`, admitted to its own room with every publish/subscribe grant — and
 * joins with it (sim bots in join.token, browser bots through the page's ?token=).
 *
 * The tokens are minted with livekit-server-sdk, as an operator's own tooling would: the load test stays a
 * client of the server (it never imports server code), and every run shows that LiveKit's SDK tokens are
 * accepted.
 */
import { AccessToken } from 'livekit-server-sdk';
import type { BotCredentials } from '../options';
import type { Bot, BotFactory, BotSnapshot, BotSpec } from './types';

/** Long enough for any run: a bot that rejoins late in a long hold still holds a valid token. */
const TOKEN_TTL_S = 24 * 3600;

export function botToken(spec: Pick<BotSpec, 'room' | 'name'>, credentials: BotCredentials): Promise<string> {
  const token = new AccessToken(credentials.apiKey, credentials.apiSecret, { identity: `bot-${spec.name}`, name: spec.name, ttl: TOKEN_TTL_S });
  token.addGrant({ roomJoin: true, room: spec.room });
  return token.toJwt();
}

export function withAccessTokens(inner: BotFactory, credentials: BotCredentials): BotFactory {
  return {
    create: (spec) => new TokenBot(inner, spec, credentials),
    close: () => inner.close(),
  };
}

class TokenBot implements Bot {
  #bot: Bot | undefined;
  #closed = false;

  constructor(
    private readonly factory: BotFactory,
    readonly spec: BotSpec,
    private readonly credentials: BotCredentials,
  ) {}

  async start(): Promise<void> {
    const token = await botToken(this.spec, this.credentials);
    if (this.#closed) throw new Error('closed before it could join');
    this.#bot = this.factory.create({ ...this.spec, token });
    await this.#bot.start();
  }

  snapshot(): BotSnapshot {
    if (this.#bot) return this.#bot.snapshot();
    const { name, room } = this.spec;
    return { name, room, state: this.#closed ? 'closed' : 'starting', sent: { packets: 0, bytes: 0 }, streams: [] };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#bot?.close();
  }
}
