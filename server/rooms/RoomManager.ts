import type { Logger } from 'pino';
import type { Sfu } from '../sfu/index.js';
import { Room } from './Room.js';

export interface RoomManagerOptions {
  sfu: Sfu;
  maxPeersPerRoom: number;
  log: Logger;
}

/** Every live room of this node, by id. A room exists while it has peers. */
export class RoomManager {
  readonly rooms = new Map<string, Room>();
  private readonly options: RoomManagerOptions;
  private closed = false;

  constructor(options: RoomManagerOptions) {
    this.options = options;
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id);
  }

  /** The room with this id, created (without a router yet) when absent. */
  getOrCreate(id: string): Room {
    let room = this.rooms.get(id);
    if (room) return room;
    room = new Room({ id, sfu: this.options.sfu, maxPeers: this.options.maxPeersPerRoom, log: this.options.log });
    this.rooms.set(id, room);
    room.on('@close', () => {
      if (this.rooms.get(id) === room) this.rooms.delete(id);
    });
    return room;
  }

  /** Closes every room. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const room of [...this.rooms.values()]) room.close('server shutting down');
  }
}
