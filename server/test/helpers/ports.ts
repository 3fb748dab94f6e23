/**
 * Test files run in parallel forks; each fork gets its own block of ports so that WebRtcServers started
 * by different files never collide. Blocks sit above the default RTC ports of a running dev server.
 */
const BLOCK = 100;
const FIRST = 42000;

export function portBlock(): number {
  const fork = Number(process.env.VITEST_POOL_ID ?? '1');
  return FIRST + fork * BLOCK;
}
