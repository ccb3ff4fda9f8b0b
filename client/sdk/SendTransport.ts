import type { ProducerSource } from '../../protocol/signaling/schemas.js';
import { iceGathered, localSdp } from './ice.js';
import type { SignalingChannel } from './SignalingChannel.js';
import { TaskQueue } from './TaskQueue.js';

export interface ProduceResult {
  producerId: string;
  transceiver: RTCRtpTransceiver;
}

/**
 * The client side of a send transport: one RTCPeerConnection where the client offers. Each
 * `produce` adds a sendonly transceiver, offers, and applies the server's answer; negotiations
 * run one at a time.
 */
export class SendTransport {
  private readonly queue = new TaskQueue();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly channel: SignalingChannel,
    readonly pc: RTCPeerConnection,
  ) {}

  produce(track: MediaStreamTrack, source: ProducerSource, paused: boolean): Promise<ProduceResult> {
    return this.queue.run(async () => {
      if (this.closed) throw new Error('send transport closed');
      const transceiver = this.pc.addTransceiver(track, { direction: 'sendonly' });
      try {
        await this.pc.setLocalDescription(await this.pc.createOffer());
        await iceGathered(this.pc);
        const mid = transceiver.mid;
        if (!mid) throw new Error('the new transceiver has no mid after the offer');
        const kind = track.kind === 'audio' ? 'audio' : 'video';
        const res = await this.channel.request('produce', { transportId: this.id, kind, mid, sdp: localSdp(this.pc), source, paused });
        await this.pc.setRemoteDescription({ type: 'answer', sdp: res.sdp });
        return { producerId: res.producerId, transceiver };
      } catch (err) {
        await this.undo(transceiver);
        throw err;
      }
    });
  }

  /** Closes the peer connection (its senders stop). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }

  /** Drops a transceiver whose negotiation failed, so the next offer does not carry it. */
  private async undo(transceiver: RTCRtpTransceiver): Promise<void> {
    if (this.closed) return;
    try {
      if (this.pc.signalingState === 'have-local-offer') await this.pc.setLocalDescription({ type: 'rollback' });
      transceiver.stop();
    } catch {
      // The connection is in a state we cannot repair here; the next produce will tell.
    }
  }
}
