import type { types as msc } from 'mediasoup-client';
import type { ResponseData } from '../../protocol/signaling/schemas.js';
import type { SignalingChannel } from './SignalingChannel.js';
import { watchIce } from './ice-recovery.js';

export interface ConsumeResult {
  data: ResponseData['consume'];
  consumer: msc.Consumer;
}

/**
 * The client side of a recv transport: a mediasoup-client recv Transport. `consume` asks the
 * server for a (paused) consumer and builds the local receiver from its RTP parameters; the
 * caller resumes it on the server once the receiver exists.
 */
export class RecvTransport {
  private closed = false;

  constructor(
    readonly transport: msc.Transport,
    private readonly channel: SignalingChannel,
    onIceRecovery: (transportId: string) => void,
  ) {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      channel.request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as never }).then(() => callback(), errback);
    });
    watchIce(transport, () => onIceRecovery(transport.id));
  }

  get id(): string {
    return this.transport.id;
  }

  async consume(producerId: string): Promise<ConsumeResult> {
    if (this.closed) throw new Error('recv transport closed');
    const data = await this.channel.request('consume', { transportId: this.transport.id, producerId });
    const consumer = await this.transport.consume({
      id: data.consumerId,
      producerId: data.producerId,
      kind: data.kind,
      rtpParameters: data.rtpParameters as msc.RtpParameters,
    });
    return { data, consumer };
  }

  /** Closes the transport (its tracks end). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}
