/**
 * The usual set-up of a rooms test file: one real server for the file, peers that are closed after each
 * test, and fresh room names so tests never share a room by accident.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../../../testkit/server';
import { TestPeer } from '../../../testkit/test-peer';

export interface RoomFixture {
  readonly server: TestServer;
  /** A connected peer; joined to `room` under `name` when a room is given. */
  peer(room?: string, name?: string): Promise<TestPeer>;
  freshRoom(): string;
}

export function useRoomFixture(env: Record<string, string>, prefix: string): RoomFixture {
  let server: TestServer | undefined;
  const peers: TestPeer[] = [];
  let seq = 0;
  beforeAll(async () => {
    server = await startTestServer(env);
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
