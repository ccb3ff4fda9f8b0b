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
  private producerId: string;
  private transceiver: RTCRtpTransceiver;
  private pausedValue: boolean;
  private closedValue = false;

  constructor(
    id: string,
    readonly track: MediaStreamTrack,
    readonly source: ProducerSource,
    transceiver: RTCRtpTransceiver,
    paused: boolean,
    private readonly channel: () => SignalingChannel | null,
  ) {
    super();
    this.producerId = id;
    this.kind = track.kind === 'audio' ? 'audio' : 'video';
    this.transceiver = transceiver;
    this.pausedValue = paused;
  }

  get id(): string {
    return this.producerId;
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
    this.track.enabled = false;
    this.emit('pause');
    await this.channel()?.request('pauseProducer', { producerId: this.producerId });
  }

  async resume(): Promise<void> {
    if (this.closedValue || !this.pausedValue) return;
    this.pausedValue = false;
    this.track.enabled = true;
    this.emit('resume');
    await this.channel()?.request('resumeProducer', { producerId: this.producerId });
  }

  /** Stops sending and tells the server; the track itself is the caller's to stop. */
  async close(): Promise<void> {
    if (this.closedValue) return;
    this.markClosed();
    await this.channel()?.request('closeProducer', { producerId: this.producerId }).catch(() => undefined);
  }

  /** @internal The server-side producer was re-created (after a reconnect). */
  rebind(id: string, transceiver: RTCRtpTransceiver): void {
    this.producerId = id;
    this.transceiver = transceiver;
  }

  /** @internal Closed without a request: the server closed it, or the client is leaving. */
  markClosed(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    void this.transceiver.sender.replaceTrack(null).catch(() => undefined);
    this.emit('close');
  }
}
