import type { types as msc } from 'mediasoup-client';
import type { MediaKind, ProducerSource } from '../../protocol/signaling/schemas.js';
import { Emitter } from './Emitter.js';
import type { SignalingChannel } from './SignalingChannel.js';

type ProducerEvents = { close: []; pause: []; resume: [] };

/**
 * A local track being sent to the room. Pausing mutes the track locally and asks the server
 * to stop forwarding (the others are told). After a reconnect the SDK produces the same track
 * again and rebinds this object to the new server-side producer id.
 */
export class Producer extends Emitter<ProducerEvents> {
  readonly kind: MediaKind;
  private producer: msc.Producer;
  private pausedValue: boolean;
  private closedValue = false;

  constructor(
    producer: msc.Producer,
    readonly track: MediaStreamTrack,
    readonly source: ProducerSource,
    paused: boolean,
    private readonly channel: () => SignalingChannel | null,
  ) {
    super();
    this.producer = producer;
    this.kind = track.kind === 'audio' ? 'audio' : 'video';
    this.pausedValue = paused;
    if (paused) producer.pause();
  }

  get id(): string {
    return this.producer.id;
  }

  /** The mediasoup-client producer (its RTCRtpSender: `rtpSender`). */
  get handle(): msc.Producer {
    return this.producer;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  async pause(): Promise<void> {
    if (this.closedValue || this.pausedValue) return;
    this.pausedValue = true;
    this.producer.pause();
    this.emit('pause');
    await this.channel()?.request('pauseProducer', { producerId: this.producer.id });
  }

  async resume(): Promise<void> {
    if (this.closedValue || !this.pausedValue) return;
    this.pausedValue = false;
    this.producer.resume();
    this.emit('resume');
    await this.channel()?.request('resumeProducer', { producerId: this.producer.id });
  }

  /** Stops sending and tells the server; the track itself is the caller's to stop. */
  async close(): Promise<void> {
    if (this.closedValue) return;
    this.markClosed();
    await this.channel()?.request('closeProducer', { producerId: this.producer.id }).catch(() => undefined);
  }

  /** @internal The server-side producer was re-created (after a reconnect). */
  rebind(producer: msc.Producer): void {
    this.producer = producer;
    if (this.pausedValue) producer.pause();
  }

  /** @internal Closed without a request: the server closed it, or the client is leaving. */
  markClosed(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.producer.close();
    this.emit('close');
  }
}
