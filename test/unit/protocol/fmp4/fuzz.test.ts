import { test } from 'node:test';
import { findBox, readBoxes } from '../../../../protocol/fmp4/box-reader.js';
import { buildFragment } from '../../../../protocol/fmp4/fragment.js';
import { assertOnlyParseErrors } from '../fuzz.js';

test('the box reader throws only ParseError on mutated fragments', () => {
  const frag = buildFragment(1, [{ trackId: 1, baseDecodeTime: 0, samples: [{ duration: 3600, compositionOffset: 0, sync: true, data: Uint8Array.of(1, 2, 3) }] }]);
  assertOnlyParseErrors([frag], readBoxes, 500);
  assertOnlyParseErrors([frag], (d) => findBox(d, ['moof', 'traf', 'trun']), 500);
});
