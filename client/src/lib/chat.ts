/**
 * Chat over SCTP DataChannels through the SFU: one ordered DataProducer (label 'chat') per membership
 * carrying JSON {text}, and one DataConsumer per remote chat producer. Messages are not relayed by the
 * signalling server, so chat rides the same path as media and needs no extra protocol method.
 *
 * The sender's name is looked up in the peer list on receipt rather than sent along: a peer cannot
 * speak under somebody else's name.
 */
import type { types } from 'mediasoup-client';
import type { NotificationData } from '../../../protocol/src';
import type { Emitter } from './emitter';
import type { ChatMessage, SessionEvents } from './events';
import type { RoomLink } from './room-link';

export const CHAT_LABEL = 'chat';
/** Longer messages are refused when sending and cut when receiving: a chat line, not a file transfer. */
export const MAX_CHAT_CHARS = 4_000;

export class Chat {
  readonly #events: Pick<Emitter<SessionEvents>, 'emit'>;
  readonly #displayNameOf: (peerId: string) => string;
  #producer: types.DataProducer | undefined;
  readonly #consumers = new Map<string, types.DataConsumer>();
  /**
   * Remote chat channels announced before attach(), i.e. while the room's media is being set up: the
   * first one costs a renegotiation of the receive transport (its SCTP section), which would otherwise
   * queue in front of the media consumers' and hold back the first picture. Undefined once attached.
   */
  #held: { link: RoomLink; info: NotificationData<'newDataConsumer'> }[] | undefined = [];

  constructor(events: Pick<Emitter<SessionEvents>, 'emit'>, displayNameOf: (peerId: string) => string) {
    this.#events = events;
    this.#displayNameOf = displayNameOf;
  }

  /** Whether a message can be sent right now (the DataChannel is open). */
  get ready(): boolean {
    return this.#producer !== undefined && !this.#producer.closed && this.#producer.readyState === 'open';
  }

  /**
   * Chat on a new link, once its media is under way: the remote chat channels held so far, and our chat
   * DataProducer (when the server gave the send transport SCTP).
   */
  async attach(link: RoomLink): Promise<void> {
    const held = (this.#held ?? []).filter((entry) => entry.link === link);
    this.#held = undefined;
    const consuming = held.map(({ info }) => this.addConsumer(link, info));
    try {
      if (link.closed || !link.sendSctp) return;
      const producer = await link.sendTransport.produceData({ ordered: true, label: CHAT_LABEL });
      if (link.closed) {
        producer.close();
        return;
      }
      this.#producer = producer;
    } finally {
      await Promise.all(consuming);
    }
  }

  async addConsumer(link: RoomLink, info: NotificationData<'newDataConsumer'>): Promise<void> {
    if (info.label !== CHAT_LABEL || this.#consumers.has(info.dataConsumerId)) return;
    if (this.#held) {
      this.#held.push({ link, info });
      return;
    }
    let consumer: types.DataConsumer;
    try {
      consumer = await link.recvTransport.consumeData({
        id: info.dataConsumerId,
        dataProducerId: info.dataProducerId,
        sctpStreamParameters: info.sctpStreamParameters,
        label: info.label,
        protocol: info.protocol,
      });
    } catch (error) {
      if (!link.closed) this.#events.emit('error', { context: `consume chat of peer ${info.peerId}`, error: error as Error });
      return;
    }
    if (link.closed) {
      consumer.close();
      return;
    }
    this.#consumers.set(consumer.id, consumer);
    consumer.on('message', (data: unknown) => this.#receive(info.peerId, data));
  }

  removeConsumer(dataConsumerId: string): void {
    this.#held = this.#held?.filter((entry) => entry.info.dataConsumerId !== dataConsumerId);
    this.#consumers.get(dataConsumerId)?.close();
    this.#consumers.delete(dataConsumerId);
  }

  /** Sends a message and returns it (the session emits it as the local echo: it does not come back to us). */
  send(text: string, self: { peerId: string; displayName: string }): ChatMessage {
    const trimmed = text.trim();
    if (trimmed.length === 0) throw new TypeError('empty chat message');
    if (trimmed.length > MAX_CHAT_CHARS) throw new RangeError(`chat messages are limited to ${MAX_CHAT_CHARS} characters`);
    if (!this.#producer || !this.ready) throw new Error('chat is not available right now (no open DataChannel)');
    this.#producer.send(JSON.stringify({ text: trimmed }));
    return { peerId: self.peerId, displayName: self.displayName, text: trimmed, at: Date.now(), self: true };
  }

  /** Forgets the link's DataChannels (closing the transports closed them). */
  reset(): void {
    this.#held = [];
    this.#producer?.close();
    this.#producer = undefined;
    for (const consumer of this.#consumers.values()) consumer.close();
    this.#consumers.clear();
  }

  #receive(peerId: string, data: unknown): void {
    const raw = typeof data === 'string' ? data : data instanceof ArrayBuffer ? new TextDecoder().decode(data) : undefined;
    if (raw === undefined || raw.length > MAX_CHAT_CHARS * 8) return;
    let text: unknown;
    try {
      text = (JSON.parse(raw) as { text?: unknown }).text;
    } catch {
      return;
    }
    if (typeof text !== 'string' || text.trim().length === 0) return;
    this.#events.emit('chat', { peerId, displayName: this.#displayNameOf(peerId), text: text.slice(0, MAX_CHAT_CHARS), at: Date.now(), self: false });
  }
}
