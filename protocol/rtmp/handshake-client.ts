import { ParseError } from '../errors.js';
import {
  buildC1S1,
  buildSignedResponse,
  CLIENT_KEY,
  CLIENT_KEY_TEXT_LENGTH,
  CLIENT_VERSION,
  DIGEST_SIZE,
  digestOffset,
  type DigestScheme,
  findDigest,
  HANDSHAKE_PACKET_SIZE,
  type HandshakeStep,
  RTMP_VERSION,
  SERVER_KEY,
  SERVER_KEY_TEXT_LENGTH,
  verifySignedResponse,
} from './handshake.js';

/**
 * Client side of the RTMP handshake (RTMP spec 1.0 §5.2.5): `start()` gives C0+C1; `push()`
 * reads S0+S1+S2 and answers C2. With `digest` (the default, as Flash Player and ffmpeg),
 * C1 carries a digest; if the server answers in the digest form its S1 digest and S2
 * signature are verified (ParseError 'bad-digest' / 'bad-signature' otherwise) and C2 is
 * signed; a simple-form server gets C2 = S1 echoed.
 */
export class RtmpClientHandshake {
  private state: 'idle' | 's0s1s2' | 'done' = 'idle';
  private readonly buf = new Uint8Array(1 + 2 * HANDSHAKE_PACKET_SIZE);
  private filled = 0;
  private c1Digest: Uint8Array | undefined;
  private serverDigest = false;

  constructor(private readonly opts: { digest?: boolean; scheme?: DigestScheme; time?: number } = {}) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /** True once S1 was read and carried a valid server digest. */
  get serverUsedDigest(): boolean {
    return this.serverDigest;
  }

  /** C0+C1, to send first. */
  start(): Uint8Array {
    if (this.state !== 'idle') throw new Error('RtmpClientHandshake.start() called twice');
    this.state = 's0s1s2';
    const useDigest = this.opts.digest ?? true;
    const scheme = this.opts.scheme ?? 0;
    const c1 = buildC1S1({
      time: this.opts.time ?? 0,
      ...(useDigest
        ? { version: CLIENT_VERSION, digestKey: CLIENT_KEY.subarray(0, CLIENT_KEY_TEXT_LENGTH), scheme }
        : {}),
    });
    if (useDigest) {
      const off = digestOffset(c1, scheme);
      this.c1Digest = c1.slice(off, off + DIGEST_SIZE);
    }
    const out = new Uint8Array(1 + HANDSHAKE_PACKET_SIZE);
    out[0] = RTMP_VERSION;
    out.set(c1, 1);
    return out;
  }

  /** Feeds received bytes; returns C2 to send once S0+S1+S2 are in. */
  push(bytes: Uint8Array): HandshakeStep {
    if (this.state === 'idle') throw new Error('RtmpClientHandshake.push() before start()');
    if (this.state === 'done') return { send: undefined, done: true, leftover: bytes };
    const want = this.buf.length - this.filled;
    const n = Math.min(want, bytes.length);
    this.buf.set(bytes.subarray(0, n), this.filled);
    this.filled += n;
    if (this.filled >= 1 && this.buf[0] !== RTMP_VERSION) throw new ParseError('bad-version', `S0 version ${this.buf[0]}`);
    if (n < want) return { send: undefined, done: false, leftover: new Uint8Array(0) };
    this.state = 'done';
    return { send: this.answer(), done: true, leftover: bytes.slice(n) };
  }

  private answer(): Uint8Array {
    const s1 = this.buf.subarray(1, 1 + HANDSHAKE_PACKET_SIZE);
    const s2 = this.buf.subarray(1 + HANDSHAKE_PACKET_SIZE);
    const serverVersioned = s1[4] !== 0 || s1[5] !== 0 || s1[6] !== 0 || s1[7] !== 0;
    if (!this.c1Digest || !serverVersioned) return s1.slice();
    const found = findDigest(s1, SERVER_KEY.subarray(0, SERVER_KEY_TEXT_LENGTH));
    if (!found) throw new ParseError('bad-digest', 'S1 carries a version but no valid server digest');
    if (!verifySignedResponse(s2, this.c1Digest, SERVER_KEY)) {
      throw new ParseError('bad-signature', 'S2 is not signed over our C1 digest');
    }
    this.serverDigest = true;
    return buildSignedResponse(found.digest, CLIENT_KEY);
  }
}
