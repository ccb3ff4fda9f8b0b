import { test } from 'node:test';
import { parseMediaPlaylist } from '../../../../protocol/hls/playlist-parser.js';
import { assertOnlyParseErrors } from '../fuzz.js';

const PLAYLIST = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,HOLD-BACK=6.0,PART-HOLD-BACK=1.5
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-MAP:URI="init.mp4",BYTERANGE="100@0"
#EXT-X-PROGRAM-DATE-TIME:2026-01-02T03:04:05.000Z
#EXT-X-PART:DURATION=0.5,URI="p.0.m4s",INDEPENDENT=YES
#EXTINF:2.0,
seg10.m4s
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p.1.m4s",BYTERANGE-START=0
#EXT-X-RENDITION-REPORT:URI="../lo/index.m3u8",LAST-MSN=10,LAST-PART=1
`;

test('parseMediaPlaylist() throws only ParseError on mutated playlists', () => {
  assertOnlyParseErrors([new TextEncoder().encode(PLAYLIST)], (d) => parseMediaPlaylist(new TextDecoder().decode(d)), 1500);
});
