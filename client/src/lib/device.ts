/**
 * The mediasoup Device, loaded once with the router's RTP capabilities and kept across reconnections.
 *
 * What loading costs is the browser's own ("native") capabilities: a throwaway RTCPeerConnection and an
 * offer per direction, ~60 ms on a busy machine. They do not depend on the router, so prepare() starts
 * them while the socket is still opening — or the page starts them as it loads (prepareWebRtc()) — and
 * the handler factory the Device gets remembers them.
 *
 * Why `getRouterRtpCapabilities` before `join`: the server needs our receive capabilities in `join` (to
 * create consumers we can decode), and mediasoup-client only computes them in `Device.load()`, which
 * needs the router's capabilities. mediasoup-client 3.24 has no public way to read a Device's native
 * capabilities before load (only each HandlerFactory's internal `getNativeRtpCapabilities`), so the
 * protocol lets a client ask for the router's capabilities first — every room's router has the same.
 */
import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';

export class DeviceSlot {
  readonly #handlerFactory: types.HandlerFactory | undefined;
  #device: Device | undefined;
  #capabilitiesKey: string | undefined;
  #prepared: Promise<types.HandlerFactory | undefined> | undefined;

  constructor(handlerFactory?: types.HandlerFactory) {
    this.#handlerFactory = handlerFactory;
  }

  get device(): Device | undefined {
    return this.#device;
  }

  /**
   * A Device loaded with these capabilities. Reused when they are unchanged (the usual case after a
   * reconnection); a fresh one otherwise (a Device cannot be loaded twice, and the server may have been
   * redeployed with other codecs).
   */
  async load(routerRtpCapabilities: types.RtpCapabilities): Promise<Device> {
    const key = JSON.stringify(routerRtpCapabilities);
    if (this.#device && this.#capabilitiesKey === key) return this.#device;
    const handlerFactory = await this.prepare();
    // Device.factory() detects the browser's handler; tests and bots inject one (e.g. FakeHandler).
    const device = handlerFactory ? new Device({ handlerFactory }) : await Device.factory();
    await device.load({ routerRtpCapabilities });
    this.#device = device;
    this.#capabilitiesKey = key;
    return device;
  }

  /**
   * Detects the handler and starts asking it for the native capabilities, without waiting for them.
   * Never rejects: whatever fails here fails again, with its real error, in load(). The browser's own
   * handler is shared by every session of the page (prepareWebRtc() may have started it already).
   */
  prepare(): Promise<types.HandlerFactory | undefined> {
    this.#prepared ??= this.#handlerFactory ? preparedHandler(this.#handlerFactory) : prepareWebRtc();
    return this.#prepared;
  }
}

let browserHandler: Promise<types.HandlerFactory | undefined> | undefined;

/**
 * Starts working out this browser's WebRTC capabilities (two throwaway peer connections, tens of
 * milliseconds) so that a later join() need not wait for them: call it while a join form is showing.
 * Never rejects.
 */
export function prepareWebRtc(): Promise<types.HandlerFactory | undefined> {
  browserHandler ??= preparedHandler(undefined);
  return browserHandler;
}

async function preparedHandler(injected: types.HandlerFactory | undefined): Promise<types.HandlerFactory | undefined> {
  try {
    const base = injected ?? handlerFactoryOf(await Device.factory());
    if (!base) return undefined;
    const factory = rememberingNativeCapabilities(base);
    for (const direction of ['recvonly', 'sendonly'] as const) factory.getNativeRtpCapabilities({ direction }).catch(() => undefined);
    return factory;
  } catch {
    return undefined;
  }
}

/**
 * The handler factory Device.factory() picked. mediasoup-client 3.24 exports neither its handlers nor a
 * getter, so this reads the Device's field; if a later version renames it, loading simply is not warmed.
 */
function handlerFactoryOf(device: Device): types.HandlerFactory | undefined {
  const factory = (device as unknown as { _handlerFactory?: types.HandlerFactory })._handlerFactory;
  return factory && typeof factory.getNativeRtpCapabilities === 'function' && typeof factory.factory === 'function' ? factory : undefined;
}

/** The same handlers; native capabilities asked once per direction (a failure is asked again next time). */
function rememberingNativeCapabilities(base: types.HandlerFactory): types.HandlerFactory {
  const asked = new Map<string, Promise<types.RtpCapabilities>>();
  return {
    name: base.name,
    factory: (options) => base.factory(options),
    getNativeRtpCapabilities(options) {
      let capabilities = asked.get(options.direction);
      if (!capabilities) {
        capabilities = base.getNativeRtpCapabilities(options);
        asked.set(options.direction, capabilities);
        capabilities.catch(() => asked.delete(options.direction));
      }
      // Device.load() clones what it gets, so sharing one answer is safe.
      return capabilities;
    },
  };
}
