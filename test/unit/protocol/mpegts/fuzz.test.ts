import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAudioSpecificConfig } from '../../../../protocol/codec/aac.js';
import { buildPesHeader, parsePesHeader, StreamId } from '../../../../protocol/mpegts/pes.js';
import { buildPat, buildPmt, parsePat, parsePmt, StreamType } from '../../../../protocol/mpegts/psi.js';
import { TsReader } from '../../../../protocol/mpegts/ts-reader.js';
import { TsWriter } from '../../../../protocol/mpegts/ts-writer.js';
import { assertOnlyParseErrors, mutations } from '../fuzz.js';

test('PSI and PES header parsers throw only ParseError on mutated input', () => {
  assertOnlyParseErrors([buildPat({ programNumber: 1, pmtPid: 0x1000 })], parsePat);
  assertOnlyParseErrors([buildPmt({ programNumber: 1, pcrPid: 0x100, streams: [{ streamType: StreamType.H264, pid: 0x100 }, { streamType: StreamType.AacAdts, pid: 0x101 }] })], parsePmt);
  assertOnlyParseErrors([buildPesHeader({ streamId: StreamId.Video, pts: 9000, dts: 3600, payloadLength: 10 })], parsePesHeader);
});

test('TsReader never throws on mutated transport streams and keeps its state bounded', () => {
  const w = new TsWriter([{ type: 'audio', codec: 'aac', sampleRate: 48000, channels: 2, config: buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channelConfiguration: 2 }) }]);
  const ts = Buffer.concat([w.writeTables(), ...[0, 1920, 3840].map((t) => w.writeAccessUnit(0, { type: 'audio', codec: 'aac', pts: t, dts: t, keyframe: true, data: new Uint8Array(250).fill(7) }))]);
  for (const input of mutations(new Uint8Array(ts), 300)) {
    const r = new TsReader();
    const frames = [...r.push(input), ...r.flush()];
    assert.ok(frames.length <= 3 + 1);
  }
});
