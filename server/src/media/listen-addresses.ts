/**
 * Where media listens and what ICE candidates carry. A wildcard listen address (0.0.0.0 / ::) is what
 * servers and containers use, but a candidate saying "0.0.0.0" is useless to a browser: with no
 * RTC_ANNOUNCED_ADDRESS we announce the host's primary address instead — the one on the interface of the
 * default route, else the first non-loopback one — for IPv4, and for IPv6 too when listening on `::`.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

export interface ListenAddress {
  /** Address the worker's sockets bind to. */
  ip: string;
  /** Address put in ICE candidates; undefined → `ip` itself. */
  announcedAddress?: string;
  /** Bind IPv6 only, so that 0.0.0.0 and :: can share one port. */
  ipv6Only?: boolean;
}

export class NoUsableAddressError extends Error {}

type Interfaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

export interface HostNetwork {
  interfaces: Interfaces;
  /** Names of the interfaces that carry a default route, per family. */
  defaultRouteInterfaces: { v4: string[]; v6: string[] };
}

/** Interfaces that are never a host's public face: containers' bridges and their veth ends. */
const VIRTUAL = /^(docker\d*|br-|veth|virbr|cni|flannel|cali|vxlan)/;

export function readHostNetwork(): HostNetwork {
  return { interfaces: os.networkInterfaces(), defaultRouteInterfaces: { v4: defaultRoutes(4), v6: defaultRoutes(6) } };
}

/** Linux routing tables: a default route has destination 0 with prefix 0. Empty elsewhere. */
function defaultRoutes(family: 4 | 6): string[] {
  try {
    const file = family === 4 ? '/proc/net/route' : '/proc/net/ipv6_route';
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    if (family === 4) {
      return lines
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f[1] === '00000000' && f[7] === '00000000')
        .map((f) => f[0]!);
    }
    return lines
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[0] === '0'.repeat(32) && f[1] === '00' && f[9] !== 'lo')
      .map((f) => f[9]!);
  } catch {
    return [];
  }
}

/** The host's primary address of a family, or undefined when it has none that a peer could reach. */
export function primaryAddress(network: HostNetwork, family: 4 | 6): string | undefined {
  const candidates = Object.entries(network.interfaces).flatMap(([name, infos]) =>
    (infos ?? [])
      .filter((info) => !info.internal && (family === 4 ? info.family === 'IPv4' : info.family === 'IPv6'))
      // Link-local IPv6 needs a scope id that a remote browser cannot use.
      .filter((info) => !(family === 6 && /^fe80:/i.test(info.address)))
      .map((info) => ({ name, address: info.address })),
  );
  const routed = family === 4 ? network.defaultRouteInterfaces.v4 : network.defaultRouteInterfaces.v6;
  const rank = (c: { name: string }): number => (routed.includes(c.name) ? 0 : VIRTUAL.test(c.name) ? 2 : 1);
  return candidates.sort((a, b) => rank(a) - rank(b))[0]?.address;
}

/** 0.0.0.0 or ::, "every address of this host". */
export const isWildcard = (ip: string): boolean => ip === '0.0.0.0' || ip === '::';

/** `address:port`, with an IPv6 address in brackets. */
export const hostPort = (address: string, port: number): string => `${address.includes(':') ? `[${address}]` : address}:${port}`;

/**
 * The listen addresses for one listen IP. A specific IP: itself (announcing `announced` if given). A
 * wildcard with `announced`: the wildcard, announcing it. A wildcard without: one entry per family with
 * a primary address (`::` covers IPv4 via 0.0.0.0 and IPv6 via an IPv6-only socket on the same port).
 */
export function planListenAddresses(listenIp: string, announced: string | undefined, network: HostNetwork): ListenAddress[] {
  if (!isWildcard(listenIp) || announced) return [{ ip: listenIp, ...(announced ? { announcedAddress: announced } : {}) }];
  const v4 = primaryAddress(network, 4);
  const v6 = listenIp === '::' ? primaryAddress(network, 6) : undefined;
  const plan: ListenAddress[] = [];
  if (v4) plan.push({ ip: '0.0.0.0', announcedAddress: v4 });
  if (v6) plan.push({ ip: '::', announcedAddress: v6, ipv6Only: true });
  if (plan.length === 0) {
    throw new NoUsableAddressError(
      `RTC_LISTEN_IP=${listenIp} but this host has no non-loopback ${listenIp === '::' ? 'IPv4 or IPv6' : 'IPv4'} address to announce in ICE candidates: set RTC_ANNOUNCED_ADDRESS (the address browsers reach this server at)`,
    );
  }
  return plan;
}

/** The addresses ICE candidates will carry, e.g. for the start-up log and for coturn's allowed peers. */
export function announcedAddresses(plan: ListenAddress[]): string[] {
  return plan.map((entry) => entry.announcedAddress ?? entry.ip);
}

/** True when `value` is an IP literal (announced addresses may also be hostnames). */
export const isIpLiteral = (value: string): boolean => net.isIP(value) !== 0;
