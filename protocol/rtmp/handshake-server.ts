import { ParseError } from '../errors.js';
import {
  buildC1S1,
  buildSignedResponse,
  CLIENT_KEY,
  CLIENT_KEY_TEXT_LENGTH,
  findDigest,
  HANDSHAKE_PACKET_SIZE,
  type HandshakeStep,
  RTMP_VERSION,
  SERVER_KEY,
  SERVER_KEY_TEXT_LENGTH,
  SERVER_VERSION,
} from './handshake.js';

/** Which handshake form the client used. */
export type HandshakeForm = 'simple' | 'digest';

/**
 * Server side of the RTMP handshake (RTMP spec 1.0 §5.2.5): reads C0+C1, answers S0+S1+S2
 * in one write, then reads C2. When C1 carries a valid Flash Player digest (either scheme),
 * S1 carries a server digest in the same scheme and S2 the signature over the client's digest,
 * which clients such as ffmpeg in play mode verify; otherwise S1 is the simple form and S2
 * echoes C1. C2 is read but not verified: servers in the field (nginx-rtmp, SRS, mediamtx) do
 * not verify it either, and several encoders send an unsigned C2 after a digest C1.
 *
 * Incremental: `push()` any number of bytes; "need more" returns `{ send: undefined, done: false }`.
 */
export class RtmpServerHandshake {
  private state: 'c0c1' | 'c2' | 'done' = 'c0c1';
  private readonly buf = new Uint8Array(1 + HANDSHAKE_PACKET_SIZE);
  private filled = 0;
  private formUsed: HandshakeForm | undefined;

  /** @param time Value for S1's time field (ms on the server's epoch; 0 is valid per §5.2.3). */
  constructor(private readonly time = 0) {}

  /** The form the client used, once C1 has been read. */
  get form(): HandshakeForm | undefined {
    return this.formUsed;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds received bytes; the input is not modified. After `done`, every byte is leftover. */
  push(bytes: Uint8Array): HandshakeStep {
    if (this.state === 'done') return { send: undefined, done: true, leftover: bytes };
    let off = 0;
    let send: Uint8Array | undefined;
    while (off < bytes.length && this.state !== 'done') {
      const want = (this.state === 'c0c1' ? 1 + HANDSHAKE_PACKET_SIZE : HANDSHAKE_PACKET_SIZE) - this.filled;
      const n = Math.min(want, bytes.length - off);
      this.buf.set(bytes.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.state === 'c0c1' && this.filled >= 1 && this.buf[0] !== RTMP_VERSION) {
        throw new ParseError('bad-version', `C0 version ${this.buf[0]}`);
      }
      if (n < want) break;
      this.filled = 0;
      if (this.state === 'c0c1') {
        send = this.answer(this.buf.subarray(1));
        this.state = 'c2';
      } else {
        this.state = 'done';
      }
    }
    const done = this.state === 'done';
    return { send, done, leftover: done ? bytes.slice(off) : new Uint8Array(0) };
  }

  private answer(c1: Uint8Array): Uint8Array {
    const out = new Uint8Array(1 + 2 * HANDSHAKE_PACKET_SIZE);
    out[0] = RTMP_VERSION;
    const versioned = c1[4] !== 0 || c1[5] !== 0 || c1[6] !== 0 || c1[7] !== 0;
    const found = versioned ? findDigest(c1, CLIENT_KEY.subarray(0, CLIENT_KEY_TEXT_LENGTH)) : undefined;
    if (found) {
      this.formUsed = 'digest';
      const s1 = buildC1S1({
        time: this.time,
        version: SERVER_VERSION,
        digestKey: SERVER_KEY.subarray(0, SERVER_KEY_TEXT_LENGTH),
        scheme: found.scheme,
      });
      out.set(s1, 1);
      out.set(buildSignedResponse(found.digest, SERVER_KEY), 1 + HANDSHAKE_PACKET_SIZE);
    } else {
      this.formUsed = 'simple';
      out.set(buildC1S1({ time: this.time }), 1);
      out.set(c1, 1 + HANDSHAKE_PACKET_SIZE);
    }
    return out;
  }
}
