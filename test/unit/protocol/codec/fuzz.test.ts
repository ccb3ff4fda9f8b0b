import { test } from 'node:test';
import { buildAdtsHeader, buildAudioSpecificConfig, parseAdtsHeader, parseAudioSpecificConfig, splitAdtsFrames } from '../../../../protocol/codec/aac.js';
import { buildAvcDecoderConfig, parseAvcDecoderConfig } from '../../../../protocol/codec/avc-config.js';
import { parseH264Sps } from '../../../../protocol/codec/h264.js';
import { parseH265Sps } from '../../../../protocol/codec/h265.js';
import { buildHevcDecoderConfig, parseHevcDecoderConfig } from '../../../../protocol/codec/hevc-config.js';
import { joinAnnexB, joinAvcc, splitAnnexB, splitAvcc } from '../../../../protocol/codec/nal.js';
import { buildOpusHead, opusPacketDuration, parseOpusHead } from '../../../../protocol/codec/opus.js';
import { assertOnlyParseErrors } from '../fuzz.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

// Seeds. H.264: a 320x240 constrained-baseline SPS/PPS as libx264 writes them (ffmpeg 5.1,
// testsrc, -profile:v baseline). H.265: VPS/SPS/PPS from libx265 3.5 (ffmpeg 5.1, testsrc
// 320x240, one frame, -preset ultrafast).
const H264_SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40);
const H264_PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const H265_VPS = hex('40010c01ffff01600000030090000003000003003c959409');
const H265_SPS = hex('42010101600000030090000003000003003ca00a080f16595952930bc05a020000030002000003003210');
const H265_PPS = hex('4401c073c189');

test('H.264 SPS and avcC parsers throw only ParseError on mutated input', () => {
  assertOnlyParseErrors([H264_SPS], parseH264Sps, 1000);
  assertOnlyParseErrors([buildAvcDecoderConfig({ sps: [H264_SPS], pps: [H264_PPS] })], parseAvcDecoderConfig, 1000);
});

test('H.265 SPS and hvcC parsers throw only ParseError on mutated input', () => {
  assertOnlyParseErrors([H265_SPS], parseH265Sps, 1000);
  assertOnlyParseErrors([buildHevcDecoderConfig({ vps: H265_VPS, sps: H265_SPS, pps: H265_PPS })], parseHevcDecoderConfig, 1000);
});

test('NAL framing splitters throw only ParseError on mutated input', () => {
  const units = [H264_SPS, H264_PPS, Uint8Array.of(0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01)];
  assertOnlyParseErrors([joinAnnexB(units)], splitAnnexB);
  assertOnlyParseErrors([joinAvcc(units, 4)], (d) => splitAvcc(d, 4));
  assertOnlyParseErrors([joinAvcc(units, 2)], (d) => splitAvcc(d, 2));
});

test('AAC and Opus parsers throw only ParseError on mutated input', () => {
  assertOnlyParseErrors([buildAudioSpecificConfig({ objectType: 2, sampleRate: 44000, channelConfiguration: 2 }), Uint8Array.of(0x12, 0x10)], parseAudioSpecificConfig);
  const frame = Uint8Array.from([...buildAdtsHeader({ objectType: 2, sampleRate: 48000, channelConfiguration: 2, payloadLength: 4, crc: 0x1234 }), 1, 2, 3, 4]);
  assertOnlyParseErrors([frame], (d) => parseAdtsHeader(d));
  assertOnlyParseErrors([Uint8Array.from([...frame, ...frame])], splitAdtsFrames);
  const head = buildOpusHead({ channels: 6, preSkip: 312, inputSampleRate: 48000, outputGain: 0, mappingFamily: 1, mapping: { streamCount: 4, coupledCount: 2, channelMapping: Uint8Array.of(0, 4, 1, 2, 3, 5) } });
  assertOnlyParseErrors([head], parseOpusHead);
  assertOnlyParseErrors([Uint8Array.of(0xfb, 0x03), Uint8Array.of(0x78)], opusPacketDuration);
});
