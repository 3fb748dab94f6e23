/**
 * Test files run in parallel forks; each fork gets its own block of ports so that WebRtcServers started
 * by different files never collide. The blocks sit below Linux's ephemeral range (32768+), where
 * Chromium's ICE sockets and every bind-to-port-0 land, and away from a dev server's defaults (40000+).
 */
const BLOCK = 100;
const FIRST = 21000;

/**
 * CONFERO_TEST_PORT_OFFSET (default 0) moves all blocks, so that two vitest runs on one machine (two
 * checkouts, two developers) can run at once: give each its own multiple of 1000, up to 10000.
 */
export function portBlock(): number {
  const fork = Number(process.env.VITEST_POOL_ID ?? '1');
  const offset = Number(process.env.CONFERO_TEST_PORT_OFFSET ?? '0');
  return FIRST + offset + fork * BLOCK;
}
