import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeMediaPlaylist } from '../../../../protocol/hls/media-playlist-writer.js';
import { writeMultivariantPlaylist } from '../../../../protocol/hls/multivariant-writer.js';
import { parseMediaPlaylist } from '../../../../protocol/hls/playlist-parser.js';
import type { HlsPart, MediaPlaylist } from '../../../../protocol/hls/playlist.js';
import { blockingReloadState, parseHlsQuery } from '../../../../protocol/hls/query.js';
import { ParseError } from '../../../../protocol/errors.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;

const parts = (seg: number, n: number): HlsPart[] =>
  Array.from({ length: n }, (_, i) => ({ uri: `part${seg}.${i}.m4s`, duration: 0.5, ...(i === 0 ? { independent: true } : {}) }));

/** A live LL-HLS window: 3 complete 2 s segments (the last two with parts), 2 parts pending. */
function livePlaylist(): MediaPlaylist {
  return {
    targetDuration: 2,
    mediaSequence: 10,
    independentSegments: true,
    map: { uri: 'init.mp4' },
    partTarget: 0.5,
    serverControl: { canBlockReload: true },
    segments: [
      { uri: 'seg10.m4s', duration: 2, programDateTime: new Date('2026-01-02T03:04:05.000Z') },
      { uri: 'seg11.m4s', duration: 2, parts: parts(11, 4) },
      { uri: 'seg12.m4s', duration: 1.96, parts: [...parts(12, 3), { uri: 'part12.3.m4s', duration: 0.46 }] },
    ],
    pendingParts: parts(13, 2),
    preloadHint: { type: 'PART', uri: 'part13.2.m4s' },
  };
}

const GOLDEN_LL = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,HOLD-BACK=6.0,PART-HOLD-BACK=1.5
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-01-02T03:04:05.000Z
#EXTINF:2.0,
seg10.m4s
#EXT-X-PART:DURATION=0.5,URI="part11.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="part11.1.m4s"
#EXT-X-PART:DURATION=0.5,URI="part11.2.m4s"
#EXT-X-PART:DURATION=0.5,URI="part11.3.m4s"
#EXTINF:2.0,
seg11.m4s
#EXT-X-PART:DURATION=0.5,URI="part12.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="part12.1.m4s"
#EXT-X-PART:DURATION=0.5,URI="part12.2.m4s"
#EXT-X-PART:DURATION=0.46,URI="part12.3.m4s"
#EXTINF:1.96,
seg12.m4s
#EXT-X-PART:DURATION=0.5,URI="part13.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="part13.1.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part13.2.m4s"
`;

const GOLDEN_PLAIN = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-01-02T03:04:05.000Z
#EXTINF:2.0,
seg10.m4s
#EXTINF:2.0,
seg11.m4s
#EXTINF:1.96,
seg12.m4s
`;

test('writeMediaPlaylist() writes the golden Low-Latency playlist (server control, part info, parts, preload hint)', () => {
  assert.equal(writeMediaPlaylist(livePlaylist()), GOLDEN_LL);
});

test('writeMediaPlaylist({ lowLatency: false }) writes the same window as a plain playlist', () => {
  assert.equal(writeMediaPlaylist(livePlaylist(), { lowLatency: false }), GOLDEN_PLAIN);
});

test('parseMediaPlaylist() round-trips the LL playlist: sequence, segments with parts, pending parts, preload hint', () => {
  const pl = livePlaylist();
  const parsed = parseMediaPlaylist(GOLDEN_LL);
  assert.equal(parsed.mediaSequence, 10);
  assert.equal(parsed.version, 6);
  assert.equal(parsed.partTarget, 0.5);
  assert.deepEqual(parsed.serverControl, { canBlockReload: true, holdBack: 6, partHoldBack: 1.5 });
  assert.deepEqual(parsed.segments, pl.segments);
  assert.deepEqual(parsed.pendingParts, pl.pendingParts);
  assert.deepEqual(parsed.preloadHint, pl.preloadHint);
  assert.deepEqual(parsed.map, pl.map);
  assert.equal(writeMediaPlaylist(parsed), GOLDEN_LL, 'write(parse(x)) == x');
});

test('writeMediaPlaylist({ skip: true }) replaces segments older than CAN-SKIP-UNTIL with EXT-X-SKIP (version 9)', () => {
  const pl: MediaPlaylist = {
    targetDuration: 1,
    mediaSequence: 100,
    partTarget: 0.25,
    serverControl: { canSkipUntil: 6 },
    segments: Array.from({ length: 10 }, (_, i) => ({ uri: `s${100 + i}.ts`, duration: 1 })),
  };
  const text = writeMediaPlaylist(pl, { skip: true });
  assert.match(text, /#EXT-X-VERSION:9\n/);
  assert.match(text, /CAN-SKIP-UNTIL=6.0,CAN-BLOCK-RELOAD=YES/);
  assert.match(text, /#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n#EXTINF:1.0,\ns104.ts\n/);
  const parsed = parseMediaPlaylist(text);
  assert.equal(parsed.skippedSegments, 4);
  assert.equal(parsed.segments.length, 6);
});

test('discontinuities, a new EXT-X-MAP and DISCONTINUITY-SEQUENCE survive write → parse', () => {
  const pl: MediaPlaylist = {
    targetDuration: 4,
    mediaSequence: 7,
    discontinuitySequence: 2,
    map: { uri: 'init-a.mp4' },
    segments: [
      { uri: 'a.m4s', duration: 4 },
      { uri: 'b.m4s', duration: 3.2, discontinuity: true, map: { uri: 'init-b.mp4', byteRange: { length: 700, offset: 0 } }, programDateTime: new Date('2026-05-06T07:08:09.123Z') },
    ],
  };
  const text = writeMediaPlaylist(pl);
  assert.match(text, /#EXT-X-DISCONTINUITY-SEQUENCE:2\n/);
  assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-b.mp4",BYTERANGE="700@0"\n#EXT-X-PROGRAM-DATE-TIME:2026-05-06T07:08:09.123Z\n#EXTINF:3.2,\nb.m4s/);
  const parsed = parseMediaPlaylist(text);
  assert.deepEqual(parsed.segments, pl.segments);
  assert.equal(parsed.discontinuitySequence, 2);
  assert.deepEqual(parsed.map, pl.map);
});

test('writeMediaPlaylist() refuses what the spec forbids', () => {
  const base = livePlaylist();
  assert.throws(() => writeMediaPlaylist({ ...base, serverControl: { partHoldBack: 1.4 } }), TypeError, 'PART-HOLD-BACK < 3 × PART-TARGET');
  assert.throws(() => writeMediaPlaylist({ ...base, serverControl: { holdBack: 5 } }), TypeError, 'HOLD-BACK < 3 × TARGETDURATION');
  assert.throws(() => writeMediaPlaylist({ ...base, segments: [{ uri: 'long.ts', duration: 2.6 }] }), TypeError, 'EXTINF rounds above TARGETDURATION');
  assert.throws(() => writeMediaPlaylist({ ...base, targetDuration: 1.5 }), TypeError);
  const { partTarget: _drop, ...noPartTarget } = base;
  assert.throws(() => writeMediaPlaylist(noPartTarget, { lowLatency: true }), TypeError, 'parts without PART-TARGET');
  assert.throws(() => writeMediaPlaylist({ ...base, segments: [{ uri: 'a"b.ts', duration: 1 }], map: { uri: 'in"it.mp4' } }), TypeError, 'quote in a quoted-string');
});

test('writeMultivariantPlaylist() writes BANDWIDTH, CODECS, RESOLUTION per variant', () => {
  const text = writeMultivariantPlaylist({
    independentSegments: true,
    variants: [
      { uri: 'hi/index.m3u8', bandwidth: 2_500_000, averageBandwidth: 2_000_000, codecs: ['avc1.64001f', 'mp4a.40.2'], resolution: { width: 1280, height: 720 }, frameRate: 30 },
      { uri: 'lo/index.m3u8', bandwidth: 600_000, codecs: ['avc1.42c01e', 'mp4a.40.2'], resolution: { width: 640, height: 360 } },
    ],
  });
  assert.equal(text, `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000
hi/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=600000,CODECS="avc1.42c01e,mp4a.40.2",RESOLUTION=640x360
lo/index.m3u8
`);
});

const badPlaylists: Array<[string, string, string]> = [
  ['no #EXTM3U', '#EXT-X-TARGETDURATION:2\n', 'missing-header'],
  ['no target duration', '#EXTM3U\n#EXTINF:1.0,\na.ts\n', 'missing-target-duration'],
  ['URI without EXTINF', '#EXTM3U\n#EXT-X-TARGETDURATION:2\na.ts\n', 'missing-extinf'],
  ['negative sequence', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:-1\n', 'bad-number'],
  ['part without URI', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART:DURATION=0.5\n', 'missing-attribute'],
  ['unterminated quoted-string', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART:DURATION=0.5,URI="a.m4s\n', 'bad-attributes'],
  ['EXTINF at the end with no URI', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n', 'missing-uri'],
];
for (const [name, text, reason] of badPlaylists) {
  test(`parseMediaPlaylist() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => parseMediaPlaylist(text), isReason(reason));
  });
}

test('parseMediaPlaylist() ignores unknown tags and comments, and accepts CRLF', () => {
  const pl = parseMediaPlaylist('#EXTM3U\r\n# a comment\r\n#EXT-X-TARGETDURATION:4\r\n#EXT-X-FUTURE-TAG:X=1\r\n#EXTINF:3.5,title\r\nseg.ts\r\n#EXT-X-ENDLIST\r\n');
  assert.deepEqual(pl.segments, [{ uri: 'seg.ts', duration: 3.5, title: 'title' }]);
  assert.equal(pl.endList, true);
});

// _HLS_ query table: [query string, result | ParseError reason]
const queries: Array<[string, { msn?: number; part?: number; skip?: string } | string]> = [
  ['', {}],
  ['_HLS_msn=12', { msn: 12 }],
  ['_HLS_msn=12&_HLS_part=3', { msn: 12, part: 3 }],
  ['_HLS_msn=0&_HLS_part=0&_HLS_skip=YES', { msn: 0, part: 0, skip: 'YES' }],
  ['_HLS_skip=v2', { skip: 'v2' }],
  ['_HLS_msn=-1', 'bad-msn'],
  ['_HLS_msn=1.5', 'bad-msn'],
  ['_HLS_msn=abc', 'bad-msn'],
  ['_HLS_msn=', 'bad-msn'],
  ['_HLS_msn=+3', 'bad-msn'],
  ['_HLS_msn=99999999999999999', 'bad-msn'],
  ['_HLS_msn=1&_HLS_msn=2', 'bad-msn'],
  ['_HLS_part=1', 'part-without-msn'],
  ['_HLS_msn=1&_HLS_part=x', 'bad-part'],
  ['_HLS_skip=NO', 'bad-skip'],
];
for (const [qs, want] of queries) {
  test(`parseHlsQuery("${qs}") ${typeof want === 'string' ? `rejects with ParseError ${want}` : 'accepts'}`, () => {
    const params = new URLSearchParams(qs);
    if (typeof want === 'string') assert.throws(() => parseHlsQuery(params), isReason(want));
    else assert.deepEqual(parseHlsQuery(params), want);
  });
}

test('blockingReloadState(): ready when the segment or part is there, wait when it is next, too-far beyond two segments', () => {
  const pl = livePlaylist(); // segments 10..12 complete, 13 pending with parts 0 and 1
  assert.equal(blockingReloadState(pl, 12), 'ready');
  assert.equal(blockingReloadState(pl, 13), 'wait', 'segment 13 is not complete');
  assert.equal(blockingReloadState(pl, 13, 1), 'ready');
  assert.equal(blockingReloadState(pl, 13, 2), 'wait');
  assert.equal(blockingReloadState(pl, 14, 0), 'wait');
  assert.equal(blockingReloadState(pl, 15), 'too-far');
  assert.equal(blockingReloadState({ ...pl, endList: true }, 14), 'ready');
});
