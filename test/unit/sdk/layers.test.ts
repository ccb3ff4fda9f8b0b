import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CAMERA_SIMULCAST_ENCODINGS, layerHeights, spatialLayerForTile } from '../../../client/sdk/layers.js';

test('layerHeights() of a 720p camera with the SDK simulcast encodings: 180, 360, 720', () => {
  assert.deepEqual(layerHeights(720), [180, 360, 720]);
  assert.equal(CAMERA_SIMULCAST_ENCODINGS.length, 3);
});

/** [tile CSS height, device pixel ratio, expected layer] for a 720p camera. */
const table: [number, number, number][] = [
  [0, 1, 0],
  [120, 1, 0],
  [180, 1, 0],
  [181, 1, 1],
  [300, 1, 1],
  [180, 2, 1],
  [360, 1, 1],
  [361, 1, 2],
  [720, 1, 2],
  [1080, 1, 2],
  [400, 2, 2],
];
for (const [height, dpr, layer] of table) {
  test(`spatialLayerForTile(): a ${height} px tile at ${dpr}x asks for layer ${layer}`, () => {
    assert.equal(spatialLayerForTile(height, layerHeights(720), dpr), layer);
  });
}

test('spatialLayerForTile() with no layer info asks for layer 0', () => {
  assert.equal(spatialLayerForTile(500, []), 0);
});
