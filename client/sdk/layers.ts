/**
 * Simulcast for cameras: three layers of one track (RFC 8853 in spirit; browsers send them as
 * `sendEncodings`), the camera's full size, half and quarter, so that each viewer can be sent the
 * layer that fits its tile and its bandwidth (mediasoup picks per consumer, up to the preferred).
 * Bitrates: what a 720p/360p/180p VP8 picture needs at 30 fps for a talking head.
 */
export const CAMERA_SIMULCAST_ENCODINGS: readonly { rid: string; scaleResolutionDownBy: number; maxBitrate: number }[] = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/**
 * The spatial layer a tile of `tileHeight` CSS pixels should ask for, given each layer's height
 * (lowest first): the smallest layer at least as tall as the tile on screen (device pixels), the
 * top layer when none is. A hidden tile (height 0) asks for the lowest; it should be paused.
 */
export function spatialLayerForTile(tileHeight: number, layerHeights: readonly number[], devicePixelRatio = 1): number {
  if (layerHeights.length === 0) return 0;
  const needed = tileHeight * devicePixelRatio;
  for (let i = 0; i < layerHeights.length; i++) if ((layerHeights[i] as number) >= needed) return i;
  return layerHeights.length - 1;
}

/** Layer heights of a camera sending `height` pixels with these encodings, lowest first. */
export function layerHeights(height: number, encodings: readonly { scaleResolutionDownBy?: number }[] = CAMERA_SIMULCAST_ENCODINGS): number[] {
  return encodings.map((e) => Math.round(height / (e.scaleResolutionDownBy ?? 1)));
}
