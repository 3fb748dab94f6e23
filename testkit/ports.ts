/**
 * Ports for tests, chosen by the OS or by mediasoup, never hand-picked, so that any number of test runs
 * (forks of one run, two checkouts, two developers) share a machine without colliding:
 * - HTTP servers listen on port 0 and report the port they got;
 * - WebRtcServers run with RTC_BASE_PORT=0: each worker's mediasoup binds free ports in
 *   MEDIA_PORTS itself (binding is the claim: race-free), and the pool reports them (`slot.ports`);
 * - plain transports take mediasoup's choice in the same range.
 * Only where a test needs numbers before anything binds them (a fixed RTC_BASE_PORT, to test that
 * setting; coturn's listener and relay range) does `freePortBlock` find free ones by binding and
 * releasing them. Another process could take such a port in the moment between: a small race, kept to
 * those few tests, and in a range (FIXED_PORTS) that neither mediasoup's choices nor the kernel's
 * ephemeral ports (32768+) use.
 */
import dgram from 'node:dgram';
import net from 'node:net';

/*
 * The ranges stay below the kernel's ephemeral ports (32768+, where Chromium's ICE sockets and every
 * bind to port 0 land), away from a dev server's 40000+ and coturn's default relays (49160+), and off
 * the bench's fixed blocks (bench/test/bench.test.ts: 12000 up to 25999 with its port offset).
 */
/** Where mediasoup picks the test servers' media ports. */
export const MEDIA_PORTS = { min: 26_000, max: 32_767 };
/** Where `freePortBlock` looks. */
export const FIXED_PORTS = { min: 10_000, max: 11_999 };

/** The environment that gives a Confero server OS-chosen HTTP and media ports. */
export const OS_CHOSEN_PORTS_ENV: Record<string, string> = {
  HTTP_PORT: '0',
  RTC_BASE_PORT: '0',
  RTC_MIN_PORT: String(MEDIA_PORTS.min),
  RTC_MAX_PORT: String(MEDIA_PORTS.max),
};

/** Resolves true when `port` could be bound (and is released again) for UDP and TCP on `ip`. */
async function bindable(ip: string, port: number): Promise<boolean> {
  const tcp = await new Promise<net.Server | undefined>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host: ip, port, exclusive: true }, () => resolve(server));
  });
  if (!tcp) return false;
  const udp = await new Promise<dgram.Socket | undefined>((resolve) => {
    const socket = dgram.createSocket(ip.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind({ address: ip, port, exclusive: true }, () => resolve(socket));
  });
  await new Promise((resolve) => tcp.close(resolve));
  if (!udp) return false;
  await new Promise<void>((resolve) => udp.close(() => resolve()));
  return true;
}

/**
 * The first of `count` consecutive ports that are free for UDP and TCP on `ip` right now (see the
 * header for the race this leaves). Rejects after 200 tries.
 */
export async function freePortBlock(count = 1, ip = '127.0.0.1'): Promise<number> {
  const span = FIXED_PORTS.max - FIXED_PORTS.min + 1 - count;
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = FIXED_PORTS.min + Math.floor(Math.random() * span);
    let free = true;
    for (let port = base; free && port < base + count; port++) free = await bindable(ip, port);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free UDP+TCP ports on ${ip} in ${FIXED_PORTS.min}–${FIXED_PORTS.max} after 200 tries`);
}
