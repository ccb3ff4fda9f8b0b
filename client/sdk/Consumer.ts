import type { MediaKind, ProducerSource } from '../../protocol/signaling/schemas.js';
import { Emitter } from './Emitter.js';
import type { SignalingChannel } from './SignalingChannel.js';

type ConsumerEvents = { close: []; producerpause: []; producerresume: [] };

export interface ConsumerInit {
  id: string;
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: ProducerSource;
  track: MediaStreamTrack;
  producerPaused: boolean;
  /** The mediasoup-client consumer behind it (closed with this one). */
  handle?: { close(): void };
}

/**
 * A remote peer's track received from the room. `producerPaused` follows the remote peer's
 * mute; `pause()`/`resume()` stop and restart delivery to this client only.
 */
export class Consumer extends Emitter<ConsumerEvents> {
  readonly id: string;
  readonly producerId: string;
  readonly peerId: string;
  readonly kind: MediaKind;
  readonly source: ProducerSource;
  readonly track: MediaStreamTrack;
  private pausedValue = false;
  private producerPausedValue: boolean;
  private closedValue = false;
  private readonly handle: { close(): void } | undefined;

  constructor(
    init: ConsumerInit,
    private readonly channel: () => SignalingChannel | null,
  ) {
    super();
    this.id = init.id;
    this.producerId = init.producerId;
    this.peerId = init.peerId;
    this.kind = init.kind;
    this.source = init.source;
    this.track = init.track;
    this.producerPausedValue = init.producerPaused;
    this.handle = init.handle;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get producerPaused(): boolean {
    return this.producerPausedValue;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** The highest simulcast layer (0 = lowest) this client wants; bandwidth may give less. */
  async setPreferredLayers(spatialLayer: number, temporalLayer?: number): Promise<void> {
    if (this.closedValue) return;
    await this.channel()?.request('setConsumerPreferredLayers', { consumerId: this.id, spatialLayer, ...(temporalLayer !== undefined ? { temporalLayer } : {}) });
  }

  async pause(): Promise<void> {
    if (this.closedValue || this.pausedValue) return;
    this.pausedValue = true;
    await this.channel()?.request('pauseConsumer', { consumerId: this.id });
  }

  async resume(): Promise<void> {
    if (this.closedValue || !this.pausedValue) return;
    this.pausedValue = false;
    await this.channel()?.request('resumeConsumer', { consumerId: this.id });
  }

  /** @internal */
  setProducerPaused(paused: boolean): void {
    if (this.closedValue || paused === this.producerPausedValue) return;
    this.producerPausedValue = paused;
    this.emit(paused ? 'producerpause' : 'producerresume');
  }

  /** Stops using this consumer locally (the server closes consumers when their producer or transport goes). Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.handle?.close();
    this.emit('close');
  }
}
