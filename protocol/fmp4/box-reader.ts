/**
 * Reads the box structure of ISO 14496-12 files (§4.2): size, type and body of each box,
 * including 64-bit `largesize` and size 0 ("to the end"). Bodies are views into the input.
 */
import { ParseError } from '../errors.js';

/** Boxes that contain only other boxes, so `findBox` can descend into them. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'dinf', 'mvex', 'moof', 'traf', 'edts', 'udta']);

/** Deepest box nesting followed; real files nest under 10 levels. */
const MAX_DEPTH = 16;

export interface Box {
  type: string;
  /** Offset of the box in the buffer given to readBoxes. */
  offset: number;
  size: number;
  headerSize: number;
  body: Uint8Array;
}

/** Reads the sequence of boxes in `data`. Throws ParseError on a size past the end. */
export function readBoxes(data: Uint8Array): Box[] {
  const boxes: Box[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let i = 0;
  while (i < data.length) {
    if (data.length - i < 8) throw new ParseError('truncated', `box header at ${i}`);
    let size = view.getUint32(i);
    const type = String.fromCharCode(...data.subarray(i + 4, i + 8));
    let headerSize = 8;
    if (size === 1) {
      if (data.length - i < 16) throw new ParseError('truncated', `largesize at ${i}`);
      size = view.getUint32(i + 8) * 2 ** 32 + view.getUint32(i + 12);
      headerSize = 16;
    } else if (size === 0) {
      size = data.length - i;
    }
    if (size < headerSize) throw new ParseError('bad-box-size', `${type} size ${size}`);
    if (size > data.length - i) throw new ParseError('truncated', `${type} of ${size} bytes at ${i}`);
    boxes.push({ type, offset: i, size, headerSize, body: data.subarray(i + headerSize, i + size) });
    i += size;
  }
  return boxes;
}

/** The first box at a path such as ['moov', 'trak', 'mdia', 'mdhd'], or undefined. */
export function findBox(data: Uint8Array, path: readonly string[]): Box | undefined {
  if (path.length > MAX_DEPTH) throw new RangeError('box path too deep');
  let level = readBoxes(data);
  for (let d = 0; d < path.length; d += 1) {
    const found = level.find((b) => b.type === path[d]);
    if (!found || d === path.length - 1) return found;
    if (!CONTAINERS.has(found.type)) return undefined;
    level = readBoxes(found.body);
  }
  return undefined;
}

/** Every box at a path (e.g. all ['moov', 'trak']). */
export function findBoxes(data: Uint8Array, path: readonly string[]): Box[] {
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  const parent = parentPath.length === 0 ? data : findBox(data, parentPath)?.body;
  return parent ? readBoxes(parent).filter((b) => b.type === last) : [];
}
