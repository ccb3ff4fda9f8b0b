import { EventEmitter } from 'node:events';
import { logger } from './logger.js';

const log = logger.child({ mod: 'events' });

/** Event map: event name → tuple of listener arguments. */
export type Events = Record<string, unknown[]>;

/**
 * A typed EventEmitter (after mediasoup's EnhancedEventEmitter): events are declared as a
 * tuple map, and `safeEmit` isolates listener errors so one bad listener cannot break the
 * emitter's own state machine.
 */
export class EnhancedEventEmitter<E extends Events = Events> extends EventEmitter {
  constructor() {
    super();
    this.setMaxListeners(Infinity);
  }

  override emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return super.emit(event, ...args);
  }

  /** Emits and logs (instead of throwing) any error raised by a listener. */
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      return super.emit(event, ...args);
    } catch (err) {
      log.error({ err, event }, 'event listener threw');
      return true;
    }
  }

  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}
