import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CODECS, MAX_ENCODINGS, requestSchemas, type RequestName } from '../../../protocol/signaling/schemas.js';

/** What mediasoup-client sends for a VP8 camera with RTX (trimmed), and a browser Device's capabilities. */
const RTP = {
  mid: '0',
  codecs: [
    { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack', parameter: '' }, { type: 'nack', parameter: 'pli' }] },
    { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 }, rtcpFeedback: [] },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4, encrypt: false, parameters: {} }],
  encodings: [{ ssrc: 1111, rtx: { ssrc: 2222 }, dtx: false }],
  rtcp: { cname: 'abc', reducedSize: true },
};
const CAPS = {
  codecs: [{ kind: 'audio', mimeType: 'audio/opus', preferredPayloadType: 100, clockRate: 48000, channels: 2, parameters: { minptime: 10 }, rtcpFeedback: [] }],
  headerExtensions: [{ kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1, preferredEncrypt: false, direction: 'sendrecv' }],
};
const DTLS = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] };
const SECRET = 'a'.repeat(48);

/** For each request: payloads that must parse and payloads that must be refused. */
const table: { [N in RequestName]: { good: unknown[]; bad: unknown[] } } = {
  join: {
    good: [
      { roomId: 'room-1', displayName: 'Ann' },
      { roomId: 'a.b:c_d', displayName: '  Ann  ', token: 'x.y.z' },
      { roomId: 'r', displayName: 'Ann', resume: { peerId: 'p1', sessionSecret: SECRET } },
    ],
    bad: [
      undefined,
      {},
      { roomId: 'room 1', displayName: 'Ann' },
      { roomId: '', displayName: 'Ann' },
      { roomId: 'r', displayName: '   ' },
      { roomId: 'r', displayName: 'x'.repeat(65) },
      { roomId: 'r', displayName: 'Ann', extra: true },
      { roomId: 'r', displayName: 'Ann', resume: { peerId: 'p1', sessionSecret: 'short' } },
      { roomId: 'r', displayName: 'Ann', token: 't'.repeat(5000) },
    ],
  },
  createTransport: {
    good: [{ direction: 'send' }, { direction: 'recv', rtpCapabilities: CAPS }, { direction: 'send', rtpCapabilities: {} }],
    bad: [
      {},
      { direction: 'both' },
      { direction: 'send', x: 1 },
      { direction: 'recv' },
      { direction: 'recv', rtpCapabilities: { codecs: Array(MAX_CODECS + 1).fill(CAPS.codecs[0]) } },
      { direction: 'recv', rtpCapabilities: { codecs: [{ ...CAPS.codecs[0], kind: 'data' }] } },
    ],
  },
  connectTransport: {
    good: [{ transportId: 't1', dtlsParameters: DTLS }, { transportId: 't1', dtlsParameters: { fingerprints: DTLS.fingerprints } }],
    bad: [
      { transportId: 't1' },
      { transportId: 't1', dtlsParameters: { role: 'client', fingerprints: [] } },
      { transportId: 't1', dtlsParameters: { role: 'boss', fingerprints: DTLS.fingerprints } },
      { transportId: 't1', dtlsParameters: { fingerprints: [{ algorithm: 'md5', value: 'AB' }] } },
      { transportId: 7, dtlsParameters: DTLS },
    ],
  },
  restartIce: { good: [{ transportId: 't1' }], bad: [{}, { transportId: '' }] },
  produce: {
    good: [
      { transportId: 't1', kind: 'video', rtpParameters: RTP, source: 'camera' },
      { transportId: 't1', kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1 }] }, source: 'mic', paused: true },
    ],
    bad: [
      { transportId: 't1', kind: 'data', rtpParameters: RTP, source: 'camera' },
      { transportId: 't1', kind: 'video', rtpParameters: { ...RTP, codecs: [] }, source: 'camera' },
      { transportId: 't1', kind: 'video', rtpParameters: { ...RTP, encodings: [] }, source: 'camera' },
      { transportId: 't1', kind: 'video', rtpParameters: { ...RTP, encodings: Array(MAX_ENCODINGS + 1).fill({ ssrc: 1 }) }, source: 'camera' },
      { transportId: 't1', kind: 'video', rtpParameters: { ...RTP, codecs: [{ ...RTP.codecs[0], payloadType: 200 }] }, source: 'camera' },
      { transportId: 't1', kind: 'video', rtpParameters: { ...RTP, extra: 1 }, source: 'camera' },
      { transportId: 't1', kind: 'video', rtpParameters: RTP, source: 'webcam' },
      { transportId: 't1', kind: 'video', source: 'camera' },
      { transportId: 't1', kind: 'video', rtpParameters: RTP, source: 'camera', paused: 'no' },
    ],
  },
  consume: { good: [{ transportId: 't1', producerId: 'p1' }], bad: [{ transportId: 't1' }, { transportId: 't1', producerId: 'p/1' }] },
  resumeConsumer: { good: [{ consumerId: 'c1' }], bad: [{}, { consumerId: '' }, { consumerId: 'c'.repeat(129) }] },
  pauseConsumer: { good: [{ consumerId: 'c1' }], bad: [{ consumerId: null }] },
  setConsumerPreferredLayers: {
    good: [{ consumerId: 'c1', spatialLayer: 0 }, { consumerId: 'c1', spatialLayer: 2, temporalLayer: 1 }],
    bad: [{ consumerId: 'c1' }, { consumerId: 'c1', spatialLayer: -1 }, { consumerId: 'c1', spatialLayer: 1.5 }, { consumerId: 'c1', spatialLayer: 99 }, { consumerId: 'c1', spatialLayer: 0, temporalLayer: 9 }],
  },
  pauseProducer: { good: [{ producerId: 'p1' }], bad: [{ producerId: 1 }] },
  resumeProducer: { good: [{ producerId: 'p1' }], bad: [{ id: 'p1' }] },
  closeProducer: { good: [{ producerId: 'p1' }], bad: ['p1'] },
  leave: { good: [{}], bad: [{ now: true }, null] },
};

for (const name of Object.keys(table) as RequestName[]) {
  const { good, bad } = table[name];
  test(`${name}: accepts ${good.length} well-formed payloads`, () => {
    for (const payload of good) assert.ok(requestSchemas[name].safeParse(payload).success, `${name} should accept ${JSON.stringify(payload)}`);
  });
  test(`${name}: refuses ${bad.length} malformed payloads`, () => {
    for (const payload of bad) assert.equal(requestSchemas[name].safeParse(payload).success, false, `${name} should refuse ${JSON.stringify(payload)?.slice(0, 80)}`);
  });
}

test('every request has a row in the table', () => {
  assert.deepEqual(Object.keys(table).sort(), Object.keys(requestSchemas).sort());
});

test('produce defaults paused to false and join trims the display name', () => {
  const produce = requestSchemas.produce.parse({ transportId: 't', kind: 'video', rtpParameters: RTP, source: 'camera' });
  assert.equal(produce.paused, false);
  assert.equal(requestSchemas.join.parse({ roomId: 'r', displayName: '  Ann ' }).displayName, 'Ann');
});
