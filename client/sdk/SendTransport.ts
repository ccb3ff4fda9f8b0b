import type { types as msc } from 'mediasoup-client';
import type { ProducerSource } from '../../protocol/signaling/schemas.js';
import type { SignalingChannel } from './SignalingChannel.js';
import { watchIce } from './ice-recovery.js';

/**
 * The client side of a send transport: a mediasoup-client send Transport whose `connect` and
 * `produce` events become `connectTransport` and `produce` requests. mediasoup-client builds
 * the SDP; the server only sees RTP parameters.
 */
export class SendTransport {
  private closed = false;

  constructor(
    readonly transport: msc.Transport,
    private readonly channel: SignalingChannel,
    onIceRecovery: (transportId: string) => void,
  ) {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      channel.request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as never }).then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const { source, paused } = appData as { source: ProducerSource; paused: boolean };
      channel
        .request('produce', { transportId: transport.id, kind, rtpParameters: rtpParameters as never, source, paused })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    watchIce(transport, () => onIceRecovery(transport.id));
  }

  get id(): string {
    return this.transport.id;
  }

  /** Sends `track` (simulcast encodings for cameras are the caller's choice). */
  produce(track: MediaStreamTrack, source: ProducerSource, paused: boolean, encodings?: msc.RtpEncodingParameters[]): Promise<msc.Producer> {
    if (this.closed) return Promise.reject(new Error('send transport closed'));
    // The app owns its tracks: they outlive a producer (paused, re-produced after a reconnect).
    return this.transport.produce({ track, stopTracks: false, zeroRtpOnPause: true, disableTrackOnPause: true, ...(encodings ? { encodings } : {}), appData: { source, paused } });
  }

  /** Closes the transport (its producers close). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}
