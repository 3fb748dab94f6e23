/**
 * The usual set-up of a rooms test file: one real server for the file, peers that are closed after each
 * test, and fresh room names so tests never share a room by accident.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from './test-server';
import { TestPeer } from './test-peer';

export interface RoomFixture {
  readonly server: TestServer;
  /** A connected peer; joined to `room` under `name` when a room is given. */
  peer(room?: string, name?: string): Promise<TestPeer>;
  freshRoom(): string;
}

export function useRoomFixture(env: Record<string, string>, portOffset: number, prefix: string): RoomFixture {
  let server: TestServer | undefined;
  const peers: TestPeer[] = [];
  let seq = 0;
  beforeAll(async () => {
    server = await startTestServer(env, portOffset);
  });
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });
  afterAll(() => server?.close());
  const started = (): TestServer => {
    if (!server) throw new Error('the test server is not started yet');
    return server;
  };
  return {
    get server() {
      return started();
    },
    async peer(room, name = 'peer') {
      const p = await TestPeer.connect(started().wsUrl);
      peers.push(p);
      if (room) await p.join(room, name);
      return p;
    },
    freshRoom: () => `${prefix}-${process.pid}-${++seq}`,
  };
}

/** Polls (bounded) until the condition holds. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
