import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/** Attempts to find two free consecutive ports before giving up (a busy host, or a small range). */
export const UDP_PAIR_ATTEMPTS = 20;
/**
 * Where RTP/RTCP pairs are taken from: above the registered ports and below Linux's default
 * ephemeral range start (32768), so pairs do not collide with outgoing connections.
 */
export const UDP_PAIR_MIN_PORT = 20_000;
export const UDP_PAIR_MAX_PORT = 32_766;

function bind(socket: Socket, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(false);
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(true);
    });
  });
}

/**
 * An RTP socket on an even port and its RTCP socket on the next one (RFC 3550 §11), as RTSP's
 * `client_port` / `server_port` pairs expect.
 */
export interface UdpPair {
  rtp: Socket;
  rtcp: Socket;
  rtpPort: number;
  rtcpPort: number;
  close(): void;
}

export async function openUdpPair(host: string): Promise<UdpPair> {
  for (let i = 0; i < UDP_PAIR_ATTEMPTS; i++) {
    const port = randomInt(UDP_PAIR_MIN_PORT / 2, UDP_PAIR_MAX_PORT / 2) * 2;
    const rtp = createSocket('udp4');
    if (!(await bind(rtp, port, host))) {
      rtp.close();
      continue;
    }
    const rtcp = createSocket('udp4');
    if (!(await bind(rtcp, port + 1, host))) {
      rtp.close();
      rtcp.close();
      continue;
    }
    let closed = false;
    return {
      rtp,
      rtcp,
      rtpPort: port,
      rtcpPort: port + 1,
      close: () => {
        if (closed) return;
        closed = true;
        rtp.close();
        rtcp.close();
      },
    };
  }
  throw new Error(`no free UDP port pair after ${UDP_PAIR_ATTEMPTS} attempts`);
}
