/**
 * A lossy UDP relay for integration tests: clients send to `port`, each client source address
 * gets its own upstream socket toward `target` (a symmetric NAT, so ICE checks from several
 * client sockets never cross), and a seeded share of RTP packets is dropped in one direction.
 * Only RTP is dropped (RFC 7983 §7: first octet 128–191; RFC 5761 §4: not an RTCP packet type),
 * never STUN, DTLS or RTCP, so setup is untouched and the loss is loss of media on the wire,
 * repairable by NACK (loss made inside a peer is not: SRTP replay protection rejects the resend).
 * Everything binds to 127.0.0.1 on random ports in 20000–29999.
 */
import dgram from 'node:dgram';

const PORT_MIN = 20_000;
const PORT_SPAN = 10_000;
const BIND_ATTEMPTS = 20;

export interface LossyUdpProxyOptions {
  /** Where the relay sends clients' datagrams (e.g. the SFU's ICE mux port). */
  targetPort: number;
  /** Share of RTP packets dropped, 0–1. */
  lossRate: number;
  /** Which direction loses: client → target ('upstream') or target → client ('downstream'). */
  lossy: 'upstream' | 'downstream';
  /** PRNG seed: the same seed drops the same packet positions. */
  seed: number;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RTP, not RTCP, by its first two octets (RFC 7983 §7, RFC 5761 §4). */
export function isRtpDatagram(b: Buffer): boolean {
  const b0 = b[0];
  const b1 = b[1];
  return b.length >= 12 && b0 !== undefined && b1 !== undefined && b0 >= 128 && b0 <= 191 && !(b1 >= 192 && b1 <= 223);
}

/** Binds a UDP socket on 127.0.0.1 at a random port in the test range (retrying on EADDRINUSE). */
export async function bindRandomUdp(): Promise<dgram.Socket> {
  let lastError: unknown;
  for (let i = 0; i < BIND_ATTEMPTS; i++) {
    const socket = dgram.createSocket('udp4');
    const port = PORT_MIN + Math.floor(Math.random() * PORT_SPAN);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, '127.0.0.1', () => {
          socket.off('error', reject);
          resolve();
        });
      });
      return socket;
    } catch (err) {
      lastError = err;
      socket.close();
    }
  }
  throw lastError;
}

export class LossyUdpProxy {
  /** RTP packets dropped and RTP packets relayed in the lossy direction. */
  dropped = 0;
  relayed = 0;
  private readonly front: dgram.Socket;
  private readonly upstreams = new Map<string, dgram.Socket>();
  private readonly options: LossyUdpProxyOptions;
  private readonly random: () => number;
  private closed = false;

  private constructor(front: dgram.Socket, options: LossyUdpProxyOptions) {
    this.front = front;
    this.options = options;
    this.random = prng(options.seed);
    front.on('message', (msg, rinfo) => void this.fromClient(msg, rinfo.address, rinfo.port));
  }

  static async start(options: LossyUdpProxyOptions): Promise<LossyUdpProxy> {
    if (!(options.lossRate >= 0 && options.lossRate <= 1)) throw new TypeError('lossRate must be 0-1');
    return new LossyUdpProxy(await bindRandomUdp(), options);
  }

  /** The port clients send to. */
  get port(): number {
    return this.front.address().port;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.front.close();
    for (const s of this.upstreams.values()) s.close();
    this.upstreams.clear();
  }

  private async fromClient(msg: Buffer, address: string, port: number): Promise<void> {
    const key = `${address}:${port}`;
    let up = this.upstreams.get(key);
    if (!up) {
      up = await bindRandomUdp();
      if (this.closed) {
        up.close();
        return;
      }
      const existing = this.upstreams.get(key);
      if (existing) {
        up.close();
        up = existing;
      } else {
        this.upstreams.set(key, up);
        up.on('message', (back) => {
          if (!this.closed && this.pass(back, 'downstream')) this.front.send(back, port, address);
        });
      }
    }
    if (!this.closed && this.pass(msg, 'upstream')) up.send(msg, this.options.targetPort, '127.0.0.1');
  }

  private pass(msg: Buffer, direction: 'upstream' | 'downstream'): boolean {
    if (direction !== this.options.lossy || !isRtpDatagram(msg)) return true;
    if (this.random() < this.options.lossRate) {
      this.dropped++;
      return false;
    }
    this.relayed++;
    return true;
  }
}

/** Points every host candidate of `sdp` on 127.0.0.1 at `port` (the proxy's), dropping the others. */
export function candidatesVia(sdp: string, port: number): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || / 127\.0\.0\.1 \d+ typ host/.test(l))
    .map((l) => (l.startsWith('a=candidate:') ? l.replace(/ 127\.0\.0\.1 \d+ typ host/, ` 127.0.0.1 ${port} typ host`) : l))
    .join('\r\n');
}

/** `sdp` without candidates: the far end then learns the peer only from its checks through the proxy. */
export function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:'))
    .join('\r\n');
}
