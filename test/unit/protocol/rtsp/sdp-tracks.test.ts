import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAvcDecoderConfig } from '../../../../protocol/codec/avc-config.js';
import { parseHevcDecoderConfig } from '../../../../protocol/codec/hevc-config.js';
import { parseAudioSpecificConfig } from '../../../../protocol/codec/aac.js';
import { ParseError } from '../../../../protocol/errors.js';
import type { TrackInfo } from '../../../../protocol/media/access-unit.js';
import { createTrackDepacketizer, parseRtspSdp, writeRtspSdp } from '../../../../protocol/rtsp/sdp-tracks.js';

const lines = (...l: string[]): string => l.join('\r\n') + '\r\n';
/** SPS/PPS of an x264 640x360 constrained-baseline stream (ffmpeg 5, -flags +global_header, RTP muxer SDP). */
const H264_SPROP = 'Z0LAHtoCgL/lwEQAAAMABAAAAwDIPFi6gA==,aM4PyA==';
/** VPS/SPS/PPS of an x265 320x240 stream (same provenance). */
const H265_SPROP = 'sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA8lZgJ; sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA8oAoIDxZZWaSTK8BaAgAAAwACAAADADIQ; sprop-pps=RAHBcrRiQA==';

// SDPs in the style of common cameras (written for these tests from vendor captures' shapes).
const CAMERAS: { name: string; base: string; sdp: string; expect: { control: string; codec?: string; unsupported?: boolean; check?: (t: TrackInfo) => void }[] }[] = [
  {
    name: 'Hikvision-style: absolute controls, H.264 + PCMU by static payload type without rtpmap',
    base: 'rtsp://10.0.0.5:554/Streaming/Channels/101/',
    sdp: lines('v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=Media Presentation', 'e=NONE', 'b=AS:5050', 't=0 0', 'a=control:rtsp://10.0.0.5:554/Streaming/Channels/101/?transportmode=unicast',
      'm=video 0 RTP/AVP 96', 'b=AS:5000', 'a=control:rtsp://10.0.0.5:554/Streaming/Channels/101/trackID=1?transportmode=unicast', 'a=rtpmap:96 H264/90000',
      `a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=${H264_SPROP}`, 'a=Media_header:MEDIAINFO=494D4B48;', 'a=appversion:1.0',
      'm=audio 0 RTP/AVP 0', 'b=AS:50', 'a=control:rtsp://10.0.0.5:554/Streaming/Channels/101/trackID=2?transportmode=unicast', 'a=Media_header:MEDIAINFO=494D4B48;'),
    expect: [
      { control: 'rtsp://10.0.0.5:554/Streaming/Channels/101/trackID=1?transportmode=unicast', codec: 'h264', check: (t) => {
        assert.ok(t.type === 'video' && t.config);
        assert.equal(parseAvcDecoderConfig(t.config).sps.length, 1);
      } },
      { control: 'rtsp://10.0.0.5:554/Streaming/Channels/101/trackID=2?transportmode=unicast', codec: 'pcmu', check: (t) => assert.ok(t.type === 'audio' && t.sampleRate === 8000 && t.channels === 1) },
    ],
  },
  {
    name: 'Dahua-style: relative controls, mpeg4-generic AAC at 16 kHz, SPS only in-band',
    base: 'rtsp://10.0.0.6:554/cam/realmonitor?channel=1&subtype=0',
    sdp: lines('v=0', 'o=- 2251938210 2251938210 IN IP4 0.0.0.0', 's=Media Server', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*', 'a=range:npt=now-',
      'm=video 0 RTP/AVP 96', 'a=control:trackID=0', 'a=framerate:25.000000', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;profile-level-id=4D002A',
      'm=audio 0 RTP/AVP 97', 'a=control:trackID=1', 'a=rtpmap:97 MPEG4-GENERIC/16000/1',
      'a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408'),
    expect: [
      { control: 'rtsp://10.0.0.6:554/cam/realmonitor?channel=1&subtype=0/trackID=0', codec: 'h264', check: (t) => assert.equal(t.config, undefined) },
      { control: 'rtsp://10.0.0.6:554/cam/realmonitor?channel=1&subtype=0/trackID=1', codec: 'aac', check: (t) => {
        assert.ok(t.type === 'audio' && t.config);
        assert.equal(t.sampleRate, 16000);
        assert.equal(parseAudioSpecificConfig(t.config).objectType, 2);
      } },
    ],
  },
  {
    name: 'Axis-style: MP4A-LATM with cpresent=0 and an ONVIF metadata track',
    base: 'rtsp://10.0.0.7/axis-media/media.amp/',
    sdp: lines('v=0', 'o=- 1 1 IN IP4 10.0.0.7', 's=Session streamed with GStreamer', 't=0 0', 'a=control:*',
      'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', `a=fmtp:96 packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=${H264_SPROP}`, 'a=control:stream=0',
      'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 MP4A-LATM/44100/1', 'a=fmtp:97 profile-level-id=41;cpresent=0;config=400024103fc0', 'a=control:stream=1',
      'm=application 0 RTP/AVP 98', 'a=rtpmap:98 vnd.onvif.metadata/90000', 'a=control:stream=2'),
    expect: [
      { control: 'rtsp://10.0.0.7/axis-media/media.amp/stream=0', codec: 'h264' },
      { control: 'rtsp://10.0.0.7/axis-media/media.amp/stream=1', codec: 'aac', check: (t) => assert.ok(t.type === 'audio' && t.sampleRate === 44100 && t.channels === 1 && t.config) },
      { control: 'rtsp://10.0.0.7/axis-media/media.amp/stream=2', unsupported: true },
    ],
  },
  {
    name: 'H.265 camera: sprop-vps/sps/pps, PCMA with an rtpmap',
    base: 'rtsp://10.0.0.8/h265',
    sdp: lines('v=0', 'o=- 0 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=video 0 RTP/AVP 98', 'a=rtpmap:98 H265/90000', `a=fmtp:98 ${H265_SPROP}`, 'a=control:track1',
      'm=audio 0 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=control:track2'),
    expect: [
      { control: 'rtsp://10.0.0.8/h265/track1', codec: 'h265', check: (t) => assert.ok(t.type === 'video' && t.config && parseHevcDecoderConfig(t.config).arrays.length === 3) },
      { control: 'rtsp://10.0.0.8/h265/track2', codec: 'pcma' },
    ],
  },
  {
    name: 'broken sprop-parameter-sets leave the track without config (SPS/PPS may come in-band)',
    base: 'rtsp://h/x',
    sdp: lines('v=0', 'o=- 0 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 sprop-parameter-sets=Zw==,aA==', 'a=control:trackID=0'),
    expect: [{ control: 'rtsp://h/x/trackID=0', codec: 'h264', check: (t) => assert.equal(t.config, undefined) }],
  },
];

for (const c of CAMERAS) {
  test(`parseRtspSdp(): ${c.name}`, () => {
    const tracks = parseRtspSdp(c.sdp, c.base);
    assert.equal(tracks.length, c.expect.length);
    c.expect.forEach((e, i) => {
      const t = tracks[i]!;
      assert.equal(t.control, e.control);
      if (e.unsupported) {
        assert.equal(t.info, undefined);
        assert.ok(t.unsupported);
        return;
      }
      assert.equal(t.info?.codec, e.codec, t.unsupported);
      e.check?.(t.info!);
      assert.ok(createTrackDepacketizer(t));
    });
  });
}

const MALFORMED: { name: string; sdp: string; reason: string }[] = [
  { name: 'not SDP', sdp: 'hello', reason: 'bad-line' },
  { name: 'no v=0', sdp: lines('o=- 0 0 IN IP4 0.0.0.0', 'm=video 0 RTP/AVP 96'), reason: 'bad-version' },
  { name: 'payload type out of range', sdp: lines('v=0', 'm=video 0 RTP/AVP 300'), reason: 'bad-media-line' },
  { name: 'a bad rtpmap', sdp: lines('v=0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264'), reason: 'bad-rtpmap' },
  { name: 'too many media sections', sdp: lines('v=0', ...Array.from({ length: 9 }, () => 'm=video 0 RTP/AVP 96')), reason: 'too-many-media' },
];
for (const c of MALFORMED) {
  test(`parseRtspSdp() malformed: ${c.name} is ParseError(${c.reason})`, () => {
    assert.throws(() => parseRtspSdp(c.sdp, 'rtsp://h/x'), (err: unknown) => err instanceof ParseError && err.reason === c.reason);
  });
}

test('writeRtspSdp() → parseRtspSdp() keeps codecs and configs, with trackID controls', () => {
  const h264 = parseRtspSdp(CAMERAS[0]!.sdp, CAMERAS[0]!.base)[0]!.info!;
  const aac = parseRtspSdp(CAMERAS[1]!.sdp, CAMERAS[1]!.base)[1]!.info!;
  const pcma: TrackInfo = { type: 'audio', codec: 'pcma', sampleRate: 8000, channels: 1 };
  const { sdp, tracks } = writeRtspSdp([h264, aac, pcma, { type: 'video', codec: 'av1' }], { sessionName: 'live/x' });
  assert.equal(tracks.length, 3, 'AV1 has no RTP format here and is left out');
  const back = parseRtspSdp(sdp, 'rtsp://127.0.0.1:8554/live/x');
  assert.deepEqual(back.map((t) => t.control), [0, 1, 2].map((i) => `rtsp://127.0.0.1:8554/live/x/trackID=${i}`));
  assert.deepEqual(back.map((t) => t.info?.codec), ['h264', 'aac', 'pcma']);
  assert.deepEqual(back[0]!.info!.config, h264.config);
  assert.deepEqual(back[1]!.info!.config, aac.type === 'audio' ? aac.config : undefined);
});
