/**
 * The SFU under test, in its own process so its CPU is measured alone: an `Sfu` on one ICE UDP
 * mux port on 127.0.0.1, one router, one send transport for the publisher and one recv transport
 * per subscriber (video then audio consumer, by renegotiation, as the signaling layer does it).
 * Driven by ../sfu-fanout.ts over IPC (SfuApi).
 *
 *   argv: [eventLoopResolutionMs]
 */
import dgram from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import nodeDataChannel from 'node-datachannel';
import { Sfu, type Consumer, type Producer, type WebRtcTransport } from '../../server/sfu/index.js';
import type { SfuApi, SfuReady, SfuSnapshot } from './api.js';
import { exitAfter, processFigures } from './child-helpers.js';
import { serveRpc, type Handlers } from './rpc.js';

/** REMB toward the publisher; the ffmpeg-fed publisher ignores it, so any value above the stream's rate. */
const MAX_INCOMING_BITRATE = 5_000_000;

/** SFU_BENCH_ENGINE_LOG=Warning (or Info, Debug...) prints libdatachannel's log, for diagnosis only. */
const engineLog = process.env.SFU_BENCH_ENGINE_LOG;
if (engineLog === 'Warning' || engineLog === 'Info' || engineLog === 'Debug' || engineLog === 'Error' || engineLog === 'Verbose') {
  nodeDataChannel.initLogger(engineLog, (level, message) => console.error(`[sfu engine ${level}] ${message}`));
}

const eventLoopResolutionMs = Math.max(1, Number(process.argv[2] ?? 1));

/** A free UDP port on 127.0.0.1 (bind to 0, read it, release it). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

interface Subscriber {
  transport: WebRtcTransport;
  consumers: Consumer[];
  /** Producers still to consume on this transport (one per renegotiation). */
  remaining: Producer[];
}

const port = await freeUdpPort();
const sfu = new Sfu({ listenIp: '127.0.0.1', announcedIp: null, udpMux: true, port, portMax: port, iceServers: [], maxIncomingBitrate: MAX_INCOMING_BITRATE });
const router = sfu.createRouter();
const producers: Producer[] = [];
const subscribers = new Map<string, Subscriber>();
const eld = monitorEventLoopDelay({ resolution: eventLoopResolutionMs });
eld.enable();

const ms = (ns: number): number => Math.round((ns / 1e6) * 100) / 100;

const handlers: Handlers<SfuApi> = {
  async produce({ sdpOffer, mids }) {
    const transport = router.createWebRtcTransport({ direction: 'send' });
    let sdpAnswer = '';
    for (const { kind, mid } of mids) {
      const r = await transport.produce({ kind, mid, sdpOffer, appData: { peerId: 'bench-publisher' } });
      producers.push(r.producer);
      sdpAnswer = r.sdpAnswer;
    }
    return { sdpAnswer };
  },

  async subscribe({ id }) {
    if (subscribers.has(id)) throw new TypeError(`subscriber ${id} exists`);
    const [first, ...rest] = producers;
    if (!first) throw new Error('no producer yet');
    const transport = router.createWebRtcTransport({ direction: 'recv', appData: { id } });
    const sub: Subscriber = { transport, consumers: [], remaining: rest };
    subscribers.set(id, sub);
    const { consumer, sdpOffer } = await transport.consume({ producer: first });
    sub.consumers.push(consumer);
    return { sdpOffer };
  },

  async answer({ id, sdpAnswer }) {
    const sub = subscribers.get(id);
    if (!sub) throw new TypeError(`no subscriber ${id}`);
    await sub.transport.setRemoteAnswer(sdpAnswer);
    const next = sub.remaining.shift();
    if (next) {
      const { consumer, sdpOffer } = await sub.transport.consume({ producer: next });
      sub.consumers.push(consumer);
      return { sdpOffer };
    }
    for (const c of sub.consumers) c.resume();
    return { sdpOffer: null };
  },

  snapshot({ resetEventLoop }) {
    const consumers = { count: 0, packetsSent: 0, sendFailures: 0 };
    const transports: Record<string, number> = {};
    for (const sub of subscribers.values()) {
      transports[sub.transport.connectionState] = (transports[sub.transport.connectionState] ?? 0) + 1;
      for (const c of sub.consumers) {
        const s = c.getStats();
        consumers.count++;
        consumers.packetsSent += s.packetsSent;
        consumers.sendFailures += s.sendFailures;
      }
    }
    const snap: SfuSnapshot = {
      ...processFigures(),
      eventLoop: { p99Ms: ms(eld.percentile(99)), maxMs: ms(eld.max), meanMs: ms(eld.mean) },
      producers: producers.map((p) => {
        const s = p.getStats();
        return {
          kind: p.kind,
          packetsReceived: s.packetsReceived,
          packetsForwarded: s.packetsForwarded,
          packetsDiscarded: s.packetsDiscarded,
          packetsLost: s.packetsLost,
          bytesReceived: s.bytesReceived,
        };
      }),
      consumers,
      transports,
    };
    if (resetEventLoop) eld.reset();
    return snap;
  },

  close() {
    exitAfter(() => sfu.close());
    return null;
  },
};

const ready: SfuReady = { pid: process.pid, port, eventLoopResolutionMs };
serveRpc<SfuApi>(handlers, ready, () => exitAfter(() => sfu.close(), 1));
