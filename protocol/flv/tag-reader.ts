import { ParseError } from '../errors.js';
import {
  FLV_HEADER_SIZE,
  FLV_TAG_HEADER_SIZE,
  type FlvHeader,
  type FlvTag,
  type FlvTagHeader,
  parseFlvHeader,
  parseFlvTagHeader,
  PREVIOUS_TAG_SIZE_SIZE,
} from './tag.js';

/**
 * Streaming FLV demuxer (FLV spec v10.1 Annex E.2–E.4): feed any slicing of a file or an
 * HTTP-FLV body to `push()`, get whole tags. Tag bodies are copied out, so the caller may
 * reuse its buffers. PreviousTagSize is skipped, not checked: writers in the field get it
 * wrong and the tag header already frames the body. "Need more bytes" is not an error; call
 * `end()` at end of input to turn a partial tag into ParseError('truncated').
 */
export class FlvTagReader {
  private state: 'header' | 'skip' | 'tag-header' | 'body' = 'header';
  /** Small fixed buffer for the FLV header and tag headers. */
  private readonly small = new Uint8Array(FLV_HEADER_SIZE + PREVIOUS_TAG_SIZE_SIZE);
  private smallFilled = 0;
  private skipLeft = 0;
  private tagHeader: FlvTagHeader | undefined;
  private body: Uint8Array | undefined;
  private bodyFilled = 0;
  private parsedHeader: FlvHeader | undefined;

  /** @param opts.header false when the input starts at the first tag (no FLV header). */
  constructor(opts: { header?: boolean } = {}) {
    if (opts.header === false) this.state = 'tag-header';
  }

  /** The FLV header, once read. */
  get header(): FlvHeader | undefined {
    return this.parsedHeader;
  }

  /** Feeds bytes (not modified); returns the tags they complete. */
  push(bytes: Uint8Array): FlvTag[] {
    const out: FlvTag[] = [];
    let off = 0;
    while (off < bytes.length) {
      switch (this.state) {
        case 'header': {
          off += this.fill(bytes, off, FLV_HEADER_SIZE);
          const h = parseFlvHeader(this.small.subarray(0, this.smallFilled));
          if (!h) break;
          this.parsedHeader = h;
          this.smallFilled = 0;
          this.skipLeft = h.dataOffset - FLV_HEADER_SIZE + PREVIOUS_TAG_SIZE_SIZE;
          this.state = 'skip';
          break;
        }
        case 'skip': {
          const n = Math.min(this.skipLeft, bytes.length - off);
          off += n;
          this.skipLeft -= n;
          if (this.skipLeft === 0) this.state = 'tag-header';
          break;
        }
        case 'tag-header': {
          off += this.fill(bytes, off, FLV_TAG_HEADER_SIZE);
          const h = parseFlvTagHeader(this.small.subarray(0, this.smallFilled));
          if (!h) break;
          this.smallFilled = 0;
          this.tagHeader = h;
          this.body = new Uint8Array(h.dataSize);
          this.bodyFilled = 0;
          this.state = 'body';
          if (h.dataSize === 0) this.finishTag(out);
          break;
        }
        case 'body': {
          const body = this.body as Uint8Array;
          const n = Math.min(body.length - this.bodyFilled, bytes.length - off);
          body.set(bytes.subarray(off, off + n), this.bodyFilled);
          this.bodyFilled += n;
          off += n;
          if (this.bodyFilled === body.length) this.finishTag(out);
          break;
        }
      }
    }
    return out;
  }

  /** Call at end of input: ParseError('truncated') if it stopped inside a header or tag. */
  end(): void {
    const clean = this.state === 'tag-header' && this.smallFilled === 0;
    if (!clean) throw new ParseError('truncated', `input ended in state ${this.state}`);
  }

  private fill(bytes: Uint8Array, off: number, want: number): number {
    const n = Math.min(want - this.smallFilled, bytes.length - off);
    this.small.set(bytes.subarray(off, off + n), this.smallFilled);
    this.smallFilled += n;
    return n;
  }

  private finishTag(out: FlvTag[]): void {
    const h = this.tagHeader as FlvTagHeader;
    out.push({ type: h.type, timestamp: h.timestamp, data: this.body ?? new Uint8Array(0) });
    this.body = undefined;
    this.tagHeader = undefined;
    this.skipLeft = PREVIOUS_TAG_SIZE_SIZE;
    this.state = 'skip';
  }
}
