/**
 * FLV audio tag bodies (FLV spec v10.1 E.4.2.1 AUDIODATA, E.4.2.2 AACAUDIODATA): the one-byte
 * header (SoundFormat, SoundRate, SoundSize, SoundType) and, for AAC, AACPacketType
 * (0 = AudioSpecificConfig, 1 = raw frame). The same bytes are an RTMP audio message.
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bits/byte-writer.js';
import { ParseError } from '../errors.js';

/** SoundFormat values (E.4.2.1) we map to codecs. */
export const SoundFormat = {
  Mp3: 2,
  G711ALaw: 7,
  G711MuLaw: 8,
  /** Enhanced RTMP v2 ExHeader marker: not decoded here. */
  ExHeader: 9,
  Aac: 10,
  Mp3_8k: 14,
} as const;

/** SoundRate index → Hz (E.4.2.1). AAC always signals 3 (44 kHz); the AudioSpecificConfig is authoritative. */
export const SOUND_RATES = [5512, 11025, 22050, 44100] as const;

export type FlvAudioCodec = 'aac' | 'mp3' | 'pcma' | 'pcmu' | 'other';

/** A parsed audio tag body. */
export interface FlvAudio {
  soundFormat: number;
  /** Index into SOUND_RATES. */
  soundRate: number;
  /** 0 = 8-bit, 1 = 16-bit samples. */
  soundSize: number;
  /** 0 = mono, 1 = stereo. */
  soundType: number;
  codec: FlvAudioCodec;
  /** AAC: 'sequenceStart' carries the AudioSpecificConfig, 'raw' a frame; other codecs: 'raw'. */
  packet: 'sequenceStart' | 'raw';
  /** The codec payload after the header (a view into the input). */
  data: Uint8Array;
}

const CODEC_OF_FORMAT: Record<number, FlvAudioCodec> = {
  [SoundFormat.Mp3]: 'mp3',
  [SoundFormat.Mp3_8k]: 'mp3',
  [SoundFormat.G711ALaw]: 'pcma',
  [SoundFormat.G711MuLaw]: 'pcmu',
  [SoundFormat.Aac]: 'aac',
};

/** Parses an audio tag body. ParseError 'truncated' for an empty body or AAC without its packet type. */
export function parseAudioTag(body: Uint8Array): FlvAudio {
  const r = new ByteReader(body);
  const b = r.u8();
  const soundFormat = b >> 4;
  const codec = CODEC_OF_FORMAT[soundFormat] ?? 'other';
  let packet: FlvAudio['packet'] = 'raw';
  if (codec === 'aac') {
    const t = r.u8();
    if (t > 1) throw new ParseError('bad-packet-type', `AACPacketType ${t}`);
    packet = t === 0 ? 'sequenceStart' : 'raw';
  }
  return {
    soundFormat,
    soundRate: (b >> 2) & 3,
    soundSize: (b >> 1) & 1,
    soundType: b & 1,
    codec,
    packet,
    data: r.rest(),
  };
}

/**
 * Builds an audio tag body. For AAC the flags are fixed at 44 kHz, 16-bit, stereo as E.4.2.1
 * requires ("decoders use the AudioSpecificConfig"); G.711 uses rate index 0 with 8 kHz
 * implied, as ffmpeg writes it.
 */
export function buildAudioTag(a: {
  codec: Exclude<FlvAudioCodec, 'other'>;
  packet?: 'sequenceStart' | 'raw';
  data: Uint8Array;
  soundRate?: number;
  soundType?: number;
}): Uint8Array {
  const w = new ByteWriter(a.data.length + 2);
  switch (a.codec) {
    case 'aac':
      w.u8((SoundFormat.Aac << 4) | (3 << 2) | (1 << 1) | 1).u8(a.packet === 'sequenceStart' ? 0 : 1);
      break;
    case 'mp3':
      w.u8((SoundFormat.Mp3 << 4) | ((a.soundRate ?? 3) << 2) | (1 << 1) | (a.soundType ?? 1));
      break;
    case 'pcma':
    case 'pcmu':
      w.u8(((a.codec === 'pcma' ? SoundFormat.G711ALaw : SoundFormat.G711MuLaw) << 4) | (1 << 1) | (a.soundType ?? 0));
      break;
  }
  return w.bytes(a.data).finish();
}
