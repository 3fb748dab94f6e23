/**
 * The mediasoup Device, loaded once with the router's RTP capabilities and kept across reconnections.
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
    // Device.factory() detects the browser's handler; tests and bots inject one (e.g. FakeHandler).
    const device = this.#handlerFactory
      ? new Device({ handlerFactory: this.#handlerFactory })
      : await Device.factory();
    await device.load({ routerRtpCapabilities });
    this.#device = device;
    this.#capabilitiesKey = key;
    return device;
  }
}
