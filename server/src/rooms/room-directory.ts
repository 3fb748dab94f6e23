/**
 * Where rooms are found by name. Behind an interface so that a Redis-backed directory (several nodes)
 * can replace the in-memory one without touching sessions or handlers.
 */
import { ProtocolError } from '../../../protocol/src';
import type { Room } from './room';

export interface RoomDirectory {
  /** The open room of that name, creating it if needed. Concurrent calls for one name get one room. */
  acquire(name: string): Promise<Room>;
  get(name: string): Room | undefined;
  list(): Room[];
  /** Server shutdown: close every room, and refuse new ones from now on. */
  shutDown(): void;
  /** True once shutDown() was called. */
  readonly shuttingDown: boolean;
}

export class InMemoryRoomDirectory implements RoomDirectory {
  readonly #rooms = new Map<string, Room>();
  readonly #creating = new Map<string, Promise<Room>>();
  #shuttingDown = false;

  constructor(
    private readonly createRoom: (name: string) => Promise<Room>,
    /** MAX_ROOMS: rooms open or being opened; beyond it new rooms are refused, existing ones stay joinable. */
    private readonly maxRooms = Infinity,
  ) {}

  async acquire(name: string): Promise<Room> {
    if (this.#shuttingDown) throw new ProtocolError('unavailable', 'the server is shutting down; join again in a moment');
    const open = this.#rooms.get(name);
    if (open && !open.closed) return open;
    // Joins racing to a new room share the one creation in flight instead of each making a router.
    const pending = this.#creating.get(name);
    if (pending) return pending;
    if (this.#rooms.size + this.#creating.size >= this.maxRooms) {
      throw new ProtocolError('unavailable', `this server already hosts its maximum of ${this.maxRooms} rooms; try again later or join an existing room`);
    }
    const creation = this.createRoom(name).then((room) => {
      if (this.#shuttingDown) {
        room.close('shutdown');
        throw new ProtocolError('unavailable', 'the server is shutting down; join again in a moment');
      }
      this.#rooms.set(name, room);
      room.onClose(() => {
        if (this.#rooms.get(name) === room) this.#rooms.delete(name);
      });
      return room;
    });
    this.#creating.set(name, creation);
    try {
      return await creation;
    } finally {
      this.#creating.delete(name);
    }
  }

  get(name: string): Room | undefined {
    return this.#rooms.get(name);
  }

  list(): Room[] {
    return [...this.#rooms.values()];
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  shutDown(): void {
    this.#shuttingDown = true;
    for (const room of this.list()) room.close('shutdown');
  }
}
