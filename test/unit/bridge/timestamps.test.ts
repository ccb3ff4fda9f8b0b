import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ntpFromUnixMs, NTP_UNIX_OFFSET_S, StreamWallClock, WALL_CLOCK_REANCHOR_MS } from '../../../gateway/bridge/rtp-clock.js';
import { MAX_CLOCK_DRIFT_TICKS, MediaClock } from '../../../gateway/transcode/media-clock.js';
import { ntpToUnixMs } from '../../../gateway/ingest-rtp/rtp-ingest.js';

test('ntpFromUnixMs: the Unix epoch is NTP 2208988800 s; half a second is fraction 2^31', () => {
  assert.deepEqual(ntpFromUnixMs(0), { ntpSeconds: NTP_UNIX_OFFSET_S, ntpFraction: 0 });
  assert.deepEqual(ntpFromUnixMs(1500), { ntpSeconds: NTP_UNIX_OFFSET_S + 1, ntpFraction: 0x8000_0000 });
  const now = 1_795_000_000_123;
  const ntp = ntpFromUnixMs(now);
  assert.ok(Math.abs(ntpToUnixMs(ntp.ntpSeconds, ntp.ntpFraction) - now) < 0.001);
});

test('StreamWallClock: the first unit fixes the wall time of pts 0; later pts add their offset', () => {
  const c = new StreamWallClock();
  assert.equal(c.capture(90_000, 10_000), 10_000);
  assert.equal(c.unixMsOf(0), 9_000);
  assert.equal(c.capture(180_000, 11_040), 11_000, 'a unit arriving late (jitter) does not move the anchor');
});

test('StreamWallClock: an earlier arrival lowers the anchor; one far behind its mapping re-anchors', () => {
  const c = new StreamWallClock();
  c.capture(90_000, 10_050); // the first unit was 50 ms late
  assert.equal(c.capture(180_000, 11_000), 11_000, 'the least delayed unit sets the clock');
  assert.equal(c.unixMsOf(90_000), 10_000);
  assert.equal(c.capture(0, 11_000 + WALL_CLOCK_REANCHOR_MS + 5_000), 11_000 + WALL_CLOCK_REANCHOR_MS + 5_000, 'pts back at 0 (publisher restart): a new anchor');
});

/** Transcoder output (media ticks since its start) mapped back to input pts. */
const table: { name: string; inputs: [pts: number, duration: number][]; queries: [media: number, pts: number | undefined][] }[] = [
  { name: 'before any input', inputs: [], queries: [[0, undefined]] },
  { name: 'contiguous AAC frames (1024 @ 44.1 kHz = 2090 ticks)', inputs: [[900_000, 2090], [902_090, 2090], [904_180, 2090]], queries: [[0, 900_000], [2090, 902_090], [5000, 905_000]] },
  { name: 'encoder delay (negative media) extrapolates back', inputs: [[1000, 1920]], queries: [[-585, 415]] },
  { name: 'a publisher stall moves later output with it', inputs: [[0, 1800], [1800, 1800], [90_000, 1800]], queries: [[1800, 1800], [3600, 90_000], [4000, 90_400]] },
  { name: 'jitter below the drift limit keeps one breakpoint', inputs: [[0, 1800], [1800 + MAX_CLOCK_DRIFT_TICKS - 1, 1800]], queries: [[3600, 3600]] },
];

for (const c of table) {
  test(`MediaClock: ${c.name}`, () => {
    const clock = new MediaClock();
    for (const [pts, d] of c.inputs) clock.input(pts, d);
    for (const [media, pts] of c.queries) assert.equal(clock.ptsOf(media), pts, `media ${media}`);
  });
}

test('MediaClock.reset() forgets the mapping (a restarted child counts from 0)', () => {
  const clock = new MediaClock();
  clock.input(5000, 1800);
  clock.reset();
  assert.equal(clock.ptsOf(0), undefined);
  clock.input(90_000, 1800);
  assert.equal(clock.ptsOf(0), 90_000);
  assert.equal(clock.media, 1800);
});
