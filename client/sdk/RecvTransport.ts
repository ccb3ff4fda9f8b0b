import type { ResponseData } from '../../protocol/signaling/schemas.js';
import { iceGathered, localSdp } from './ice.js';
import type { SignalingChannel } from './SignalingChannel.js';
import { TaskQueue } from './TaskQueue.js';

export interface ConsumeResult {
  data: ResponseData['consume'];
  track: MediaStreamTrack;
}

/**
 * The client side of a recv transport: one RTCPeerConnection where the server offers. Each
 * `consume` asks the server for a consumer, applies the server's new offer, and sends the
 * answer with `connectTransport`; negotiations run one at a time. The track is the receiver's
 * on the transceiver with the consumer's mid. Transceivers of closed consumers go inactive
 * in a later offer and stay in the connection.
 */
export class RecvTransport {
  private readonly queue = new TaskQueue();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly channel: SignalingChannel,
    readonly pc: RTCPeerConnection,
  ) {}

  consume(producerId: string): Promise<ConsumeResult> {
    return this.queue.run(async () => {
      if (this.closed) throw new Error('recv transport closed');
      const data = await this.channel.request('consume', { transportId: this.id, producerId });
      await this.pc.setRemoteDescription({ type: 'offer', sdp: data.sdp });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      await iceGathered(this.pc);
      await this.channel.request('connectTransport', { transportId: this.id, sdp: localSdp(this.pc) });
      const transceiver = this.pc.getTransceivers().find((t) => t.mid === data.mid);
      if (!transceiver) throw new Error(`the server's offer has no m-line ${data.mid}`);
      return { data, track: transceiver.receiver.track };
    });
  }

  /** Closes the peer connection (its tracks end). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }
}
