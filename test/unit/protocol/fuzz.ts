/**
 * Deterministic mutation fuzzing for the wire parsers (STYLE.md: fuzz seeds come from the
 * test tables). Each seed yields every truncation plus seeded bit flips, byte overwrites and
 * insertions; the property checked is that a parser returns or throws ParseError, never any
 * other error, and never modifies its input.
 */
import assert from 'node:assert/strict';
import { ParseError } from '../../../protocol/errors.js';

/** mulberry32: a small seeded PRNG so failures reproduce. */
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

/** Mutated copies of `seed`: all prefixes, then `count` random edits. */
export function mutations(seed: Uint8Array, count = 300, rngSeed = 1): Uint8Array[] {
  const rand = prng(rngSeed);
  const out: Uint8Array[] = [];
  for (let n = 0; n < seed.length; n += 1) out.push(seed.slice(0, n));
  for (let k = 0; k < count; k += 1) {
    const m = Array.from(seed);
    const edits = 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits && m.length > 0; e += 1) {
      const at = Math.floor(rand() * m.length);
      const kind = rand();
      if (kind < 0.5) m[at] = (m[at] as number) ^ (1 << Math.floor(rand() * 8));
      else if (kind < 0.8) m[at] = Math.floor(rand() * 256);
      else m.splice(at, 0, Math.floor(rand() * 256));
    }
    out.push(Uint8Array.from(m));
  }
  return out;
}

/** Runs `parse` over the mutations of every seed; only ParseError may escape. */
export function assertOnlyParseErrors(seeds: readonly Uint8Array[], parse: (data: Uint8Array) => unknown, count?: number): void {
  seeds.forEach((seed, s) => {
    for (const input of mutations(seed, count, s + 1)) {
      const copy = input.slice();
      try {
        parse(input);
      } catch (err) {
        if (!(err instanceof ParseError)) {
          assert.fail(`${(err as Error).name}: ${(err as Error).message} for input ${Buffer.from(input).toString('hex')}`);
        }
      }
      assert.deepEqual(input, copy, 'parser modified its input');
    }
  });
}
