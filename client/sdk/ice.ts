/** Upper bound on waiting for ICE gathering before sending a description (host candidates take milliseconds; STUN/TURN longer). */
export const ICE_GATHER_TIMEOUT_MS = 3_000;

/**
 * Resolves when the connection has gathered its candidates, or after the timeout with what it
 * has. Signaling is non-trickle: the server reads candidates from the SDP.
 */
export function iceGathered(pc: RTCPeerConnection, timeoutMs = ICE_GATHER_TIMEOUT_MS): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function check(): void {
      if (pc.iceGatheringState === 'complete') done();
    }
    function done(): void {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/** The connection's current local SDP; throws if there is none. */
export function localSdp(pc: RTCPeerConnection): string {
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('no local description');
  return sdp;
}

/** The RTCPeerConnection constructor the SDK uses: the browser's, or an injected one (@roamhq/wrtc in Node tests). */
export type PeerConnectionConstructor = new (config?: RTCConfiguration) => RTCPeerConnection;
