import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ParseError } from '../../../../protocol/errors.js';
import { encodeAmf0 } from '../../../../protocol/rtmp/amf0.js';
import { amfObject } from '../../../../protocol/rtmp/amf-value.js';
import {
  connectCommand,
  connectResult,
  createStreamCommand,
  createStreamResult,
  deleteStreamCommand,
  errorCommand,
  onBWDoneCommand,
  onMetaDataData,
  onStatusCommand,
  parseCommand,
  parseDataMessage,
  parseMetadata,
  playCommand,
  publishCommand,
  type RtmpCommand,
  sampleAccessData,
  setDataFrameData,
  StatusCode,
  streamNameCommand,
} from '../../../../protocol/rtmp/commands.js';
import { MessageType, type RtmpMessage } from '../../../../protocol/rtmp/messages.js';
import { parseRtmpUrl, splitQuery, streamPathOf } from '../../../../protocol/rtmp/url.js';

/** One table drives build and parse: each builder's message parses back to the expected command. */
const commands: Array<[string, RtmpMessage, Partial<RtmpCommand>]> = [
  ['connect', connectCommand({ app: 'live', tcUrl: 'rtmp://h/live' }, 1), { name: 'connect', transactionId: 1, app: 'live', tcUrl: 'rtmp://h/live', objectEncoding: 0 }],
  ['connect _result', connectResult(1), { name: '_result', transactionId: 1 }],
  ['createStream', createStreamCommand(4), { name: 'createStream', transactionId: 4 }],
  ['createStream _result', createStreamResult(4, 1), { name: '_result', transactionId: 4, properties: null, information: 1 }],
  ['releaseStream', streamNameCommand('releaseStream', 2, 'demo'), { name: 'releaseStream', transactionId: 2, streamName: 'demo' }],
  ['FCPublish', streamNameCommand('FCPublish', 3, 'demo'), { name: 'FCPublish', transactionId: 3, streamName: 'demo' }],
  ['FCUnpublish', streamNameCommand('FCUnpublish', 6, 'demo'), { name: 'FCUnpublish', transactionId: 6, streamName: 'demo' }],
  ['getStreamLength', streamNameCommand('getStreamLength', 7, 'demo'), { name: 'getStreamLength', transactionId: 7, streamName: 'demo' }],
  ['publish', publishCommand(1, 5, 'demo?key=abc'), { name: 'publish', transactionId: 5, streamName: 'demo?key=abc', publishType: 'live' }],
  ['play', playCommand(1, 5, 'demo'), { name: 'play', transactionId: 5, streamName: 'demo', start: -2, duration: -1, reset: true }],
  ['deleteStream', deleteStreamCommand(8, 1), { name: 'deleteStream', transactionId: 8, streamId: 1 }],
  ['onBWDone', onBWDoneCommand(), { name: 'onBWDone', transactionId: 0 }],
  [
    'onStatus',
    onStatusCommand(1, { level: 'status', code: StatusCode.PublishStart, description: 'go' }),
    { name: 'onStatus', transactionId: 0, info: { level: 'status', code: StatusCode.PublishStart, description: 'go' } },
  ],
  [
    '_error',
    errorCommand(9, { level: 'error', code: StatusCode.PublishBadName, description: 'taken' }),
    { name: '_error', transactionId: 9, properties: null },
  ],
];

for (const [name, message, expected] of commands) {
  test(`${name} builds a type 20 command that parses back`, () => {
    assert.equal(message.typeId, MessageType.CommandAmf0);
    const copy = message.payload.slice();
    const cmd = parseCommand(message);
    for (const [k, v] of Object.entries(expected)) assert.deepEqual((cmd as unknown as Record<string, unknown>)[k], v, k);
    assert.deepEqual(message.payload, copy);
  });
}

test('parseCommand reads ffmpeg 5.1 connect (fixture)', () => {
  const payload = new Uint8Array(readFileSync(new URL('../../../fixtures/rtmp/ffmpeg-connect.bin', import.meta.url)));
  const cmd = parseCommand({ typeId: MessageType.CommandAmf0, payload });
  assert.equal(cmd.name, 'connect');
  if (cmd.name !== 'connect') return;
  assert.equal(cmd.app, 'live');
  assert.equal(cmd.tcUrl, 'rtmp://127.0.0.1:40563/live');
  assert.equal(cmd.command.flashVer, 'FMLE/3.0 (compatible; Lavf59.27.100)');
});

test('parseCommand reads an AMF3 command message (type 17: format byte, then AMF0 with an AVM+ switch)', () => {
  // 'publish', 5, null, then the name as an AMF3 string.
  const body = encodeAmf0('publish', 5, null);
  const payload = Uint8Array.from([0, ...body, 0x11, 0x06, 0x09, 0x64, 0x65, 0x6d, 0x6f]);
  const cmd = parseCommand({ typeId: MessageType.CommandAmf3, payload });
  assert.deepEqual(cmd, { name: 'publish', transactionId: 5, streamName: 'demo', publishType: 'live' });
});

test('parseCommand keeps unknown commands with their arguments', () => {
  const cmd = parseCommand({ typeId: MessageType.CommandAmf0, payload: encodeAmf0('_checkbw', 3, null, 'x') });
  assert.deepEqual(cmd, { name: 'unknown', commandName: '_checkbw', transactionId: 3, args: [null, 'x'] });
});

const badCommands: Array<[string, Uint8Array, string]> = [
  ['a name that is not a string', encodeAmf0(1, 2), 'bad-command'],
  ['publish without a stream name', encodeAmf0('publish', 5, null), 'bad-command'],
  ['connect without a command object', encodeAmf0('connect', 1), 'bad-command'],
  ['onStatus without a code', encodeAmf0('onStatus', 0, null, amfObject({ level: 'status' })), 'bad-command'],
  ['truncated AMF', encodeAmf0('connect', 1).subarray(0, 6), 'truncated'],
];
for (const [name, payload, reason] of badCommands) {
  test(`parseCommand rejects ${name} with ParseError('${reason}')`, () => {
    assert.throws(() => parseCommand({ typeId: MessageType.CommandAmf0, payload }), (e: unknown) => e instanceof ParseError && e.reason === reason);
  });
}

test('@setDataFrame metadata from a publisher parses to its onMetaData properties', () => {
  const m = setDataFrameData(1, amfObject({ width: 320, height: 240 }));
  assert.equal(m.typeId, MessageType.DataAmf0);
  const d = parseDataMessage(m);
  assert.equal(d.name, 'onMetaData');
  assert.equal(d.setDataFrame, true);
  assert.deepEqual(parseMetadata(m), amfObject({ width: 320, height: 240 }));
  assert.deepEqual(parseMetadata(onMetaDataData(1, amfObject({ width: 1 }))), amfObject({ width: 1 }));
  assert.equal(parseMetadata(sampleAccessData(1)), undefined);
  assert.deepEqual(parseDataMessage(sampleAccessData(1)), { name: '|RtmpSampleAccess', values: [true, true], setDataFrame: false });
});

test('parseRtmpUrl splits host, port, app, stream name and query', () => {
  assert.deepEqual(parseRtmpUrl('rtmp://example.com/live/demo?key=abc&x=1'), {
    scheme: 'rtmp', host: 'example.com', port: 1935, app: 'live', streamName: 'demo',
    query: Object.assign(Object.create(null), { key: 'abc', x: '1' }), tcUrl: 'rtmp://example.com/live',
  });
  const u = parseRtmpUrl('rtmps://[::1]:4443/app/a/b');
  assert.equal(u.host, '[::1]');
  assert.equal(u.port, 4443);
  assert.equal(u.streamName, 'a/b');
  assert.equal(u.tcUrl, 'rtmps://[::1]:4443/app');
  assert.equal(parseRtmpUrl('rtmps://h/app').port, 443);
  for (const bad of ['http://h/live', 'rtmp://h', 'rtmp://h/', 'rtmp://h:99999/live']) assert.throws(() => parseRtmpUrl(bad), TypeError, bad);
});

test('streamPathOf joins app and stream name and merges their queries, name winning', () => {
  assert.deepEqual(streamPathOf('live', 'demo?key=abc'), { path: 'live/demo', query: { key: 'abc' } });
  assert.deepEqual(streamPathOf('live?token=t&key=a', 'demo?key=b'), { path: 'live/demo', query: { token: 't', key: 'b' } });
  assert.deepEqual(splitQuery('demo'), { name: 'demo', query: {} });
});
