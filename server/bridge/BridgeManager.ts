import { randomInt } from 'node:crypto';
import { streamPathSchema, type BridgeOpenParams, type BridgeOpenResult } from '../../protocol/control/messages.js';
import type { BridgeHandler } from '../gateway/bridge-hooks.js';
import { ConflictError, InvalidStateError, NotFoundError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { GopCatchUp, onNewProducer, type Producer, type Router, type Sfu } from '../sfu/index.js';
import { BridgeDemand } from './BridgeDemand.js';
import { bridgeRtpParameters } from './codecs.js';
import { GatewayIngest, type IngestPort } from './GatewayIngest.js';
import { StreamSource } from './StreamSource.js';

const log = logger.child({ mod: 'bridge' });

/** The address bridge transports bind and announce: the gateway runs on this host (contract). */
export const BRIDGE_HOST = '127.0.0.1';
/** Room producers a room stream carries (protocol/signaling `source`): the camera and the microphone. */
const ROOM_STREAM_SOURCES = new Set(['camera', 'mic']);

/** How the manager starts and stops gateway bridges on demand (`bridge.mode: on-demand`). */
export interface BridgeStarter {
  /** Whether `path` is a live gateway stream (RTMP/RTSP) that a viewer may have bridged. */
  canStart(path: string): boolean;
  /** Asks the owning worker to bridge `path`; resolves once its `bridgeOpen` created the producers. */
  start(path: string): Promise<void>;
  /** Tells the owning worker to stop bridging `path`. */
  stop(path: string, reason: string): void;
}

/**
 * The path → source index that WHEP, the watch page and the gateway ingest use, and the SFU
 * side of the bridge contract (protocol/control/messages.ts):
 * - bridged gateway streams: a worker's `bridgeOpen` gets a router of its own (appData
 *   `{ path }`), a comedia PlainTransport and one Producer per track; viewers are served
 *   from the source's viewer routers, spread over workers (StreamSource.viewers);
 * - WHIP publishers (`addWhip`) and room participants (`room/<roomId>/<peerId>`: camera and
 *   microphone, followed as they come and go), each also sent to the gateway (`requestIngest`)
 *   so HLS, HTTP-FLV and RTMP play get them;
 * - on-demand bridges (with a `starter`): the first WebRTC viewer of a gateway stream that is
 *   not bridged yet starts its bridge (`viewable`), and `lingerMs` after the last one left
 *   (`viewerLeft`) the bridge stops and its router closes (BridgeDemand counts the viewers).
 */
export class BridgeManager implements BridgeHandler {
  readonly sources = new Map<string, StreamSource>();
  private readonly sfu: Sfu;
  private readonly gateway: IngestPort | undefined;
  private readonly ingests = new Map<string, GatewayIngest>();
  private readonly bridgeWorkers = new Map<string, number>();
  private closedValue = false;
  private readonly starter: BridgeStarter | undefined;
  private readonly demand: BridgeDemand;
  /** `bridgeStart`s in flight, so concurrent viewers of a path share one. */
  private readonly starting = new Map<string, Promise<void>>();
  /** Paths whose bridge this manager started and must stop when idle. */
  private readonly onDemand = new Set<string>();

  constructor(options: { sfu: Sfu; gateway?: IngestPort; starter?: BridgeStarter; lingerMs?: number }) {
    this.sfu = options.sfu;
    this.gateway = options.gateway;
    this.starter = options.starter;
    this.demand = new BridgeDemand({ lingerMs: options.lingerMs ?? 0, onIdle: (path) => this.idle(path) });
    this.sfu.on('newrouter', (router) => this.watchRoomRouter(router));
    for (const router of this.sfu.routers) this.watchRoomRouter(router);
  }

  /** The live source of a path, or undefined. */
  get(path: string): StreamSource | undefined {
    const s = this.sources.get(path);
    return s && !s.closed ? s : undefined;
  }

  /**
   * The live source of a path for a new viewer: with a starter, a gateway stream not bridged
   * yet is bridged first (the call waits for it, bounded by the starter). Undefined when the
   * path is not live; NotFoundError when its bridge could not start.
   */
  async viewable(path: string): Promise<StreamSource | undefined> {
    const live = this.get(path);
    if (live || !this.starter || this.closedValue || !this.starter.canStart(path)) return live;
    let pending = this.starting.get(path);
    if (!pending) {
      const starter = this.starter;
      this.onDemand.add(path);
      pending = starter.start(path).finally(() => {
        this.starting.delete(path);
        // Nobody may join (the WHEP request failed): the bridge still stops after the linger time.
        this.demand.touch(path);
      });
      this.starting.set(path, pending);
    }
    try {
      await pending;
    } catch (err) {
      log.warn({ path, reason: err instanceof Error ? err.message : String(err) }, 'bridge start failed');
      throw new NotFoundError(`stream ${path} could not be bridged`);
    }
    return this.get(path);
  }

  /** A WebRTC viewer (WHEP session) of `path` started. */
  viewerJoined(path: string): void {
    if (!this.demand.join(path)) log.warn({ path }, 'viewer not counted: demand table full');
  }

  /** A WebRTC viewer of `path` left: the last one starts the linger time of an on-demand bridge. */
  viewerLeft(path: string): void {
    this.demand.leave(path);
  }

  /** Viewers counted for `path` (tests, stats). */
  viewers(path: string): number {
    return this.demand.viewers(path);
  }

  /** BridgeHandler: a worker's `bridgeOpen`; replaces a live bridge of the path. */
  async open(params: BridgeOpenParams, workerId: number): Promise<BridgeOpenResult> {
    if (this.closedValue) throw new InvalidStateError('bridge manager closed');
    const { path } = params;
    const existing = this.get(path);
    if (existing && existing.origin !== 'bridge') throw new ConflictError(`${path} is a ${existing.origin} stream already in the SFU`);
    existing?.close();
    const router = await this.sfu.createRouter({ appData: { path, origin: 'bridge' } });
    const source = new StreamSource({ path, origin: 'bridge', sfu: this.sfu, router, ownsRouter: true });
    try {
      const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: BRIDGE_HOST }, rtcpMux: true, comedia: true, appData: { path } });
      const tracks: BridgeOpenResult['tracks'] = [];
      for (const track of params.tracks) {
        const rtpParameters = bridgeRtpParameters(track, randomInt(1, 0xffff_ffff));
        const producer = await transport.produce({ kind: track.kind, rtpParameters, appData: { path } });
        source.add(producer);
        // The source cannot make a keyframe on request: keep the last GOP for viewers joining later.
        if (track.kind === 'video') source.catchUp = await GopCatchUp.create(router, producer);
        tracks.push({ kind: track.kind, payloadType: rtpParameters.codecs[0]?.payloadType ?? 0, ssrc: rtpParameters.encodings?.[0]?.ssrc ?? 0 });
      }
      if (this.closedValue || this.get(path)) throw new InvalidStateError(`bridge of ${path} superseded`);
      this.register(source);
      this.bridgeWorkers.set(path, workerId);
      source.once('close', () => {
        if (this.bridgeWorkers.get(path) === workerId && !this.get(path)) this.bridgeWorkers.delete(path);
      });
      // The mediasoup worker under the bridge died: the gateway stops sending to a port that is
      // gone, and the next viewer starts the bridge again (on-demand mode).
      router.on('workerclose', () => {
        log.warn({ path }, 'mediasoup worker under the bridge died; stopping the bridge');
        this.onDemand.delete(path);
        this.starter?.stop(path, 'mediasoup worker died');
      });
      log.info({ path, workerId, port: transport.tuple.localPort, tracks: params.tracks.map((t) => t.codec) }, 'bridge opened');
      return { host: BRIDGE_HOST, port: transport.tuple.localPort, tracks };
    } catch (err) {
      source.close();
      throw err;
    }
  }

  /** BridgeHandler: `bridgeClosed` from the worker, or the worker died. */
  closed(path: string, reason: string): void {
    const source = this.get(path);
    if (!source || source.origin !== 'bridge') return;
    log.info({ path, reason }, 'bridge closed');
    source.close();
  }

  /** BridgeHandler: the gateway dropped one of our ingests (its worker died): open it again. */
  ingestClosed(path: string, reason: string): void {
    const ingest = this.ingests.get(path);
    if (!ingest) return;
    log.info({ path, reason }, 'ingest dropped by the gateway; reopening');
    ingest.restart();
  }

  /**
   * A WHIP publisher's producers become stream `path` (the router is the publisher's own and
   * closes with the source). A live path rejects with ConflictError unless `takeover`.
   */
  addWhip(path: string, router: Router, producers: readonly Producer[], takeover: boolean): StreamSource {
    if (this.closedValue) throw new InvalidStateError('bridge manager closed');
    const existing = this.get(path);
    if (existing) {
      if (!takeover || existing.origin === 'room') throw new ConflictError(`stream ${path} is already being published`);
      existing.close();
    }
    const source = new StreamSource({ path, origin: 'whip', sfu: this.sfu, router, ownsRouter: true });
    for (const p of producers) source.add(p);
    this.register(source);
    return source;
  }

  /** Closes every source and ingest. Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.demand.close();
    for (const s of [...this.sources.values()]) s.close();
    for (const i of this.ingests.values()) i.close('server stopping');
    this.ingests.clear();
  }

  /** No viewer of `path` for `lingerMs`: an on-demand bridge stops and its router closes. */
  private idle(path: string): void {
    if (!this.onDemand.delete(path) || !this.starter) return;
    const source = this.get(path);
    if (source && source.origin !== 'bridge') return;
    log.info({ path }, 'no WebRTC viewers: stopping the bridge');
    this.starter.stop(path, 'no WebRTC viewers');
    source?.close();
  }

  private register(source: StreamSource): void {
    this.sources.set(source.path, source);
    source.once('close', () => {
      if (this.sources.get(source.path) === source) this.sources.delete(source.path);
    });
    if (source.origin === 'bridge' || !this.gateway) return;
    const previous = this.ingests.get(source.path);
    // The new ingest's ingestOpen replaces the old one on the gateway: no ingestClose in between.
    if (previous) previous.close('replaced');
    const ingest = new GatewayIngest(source, source.origin, this.gateway);
    this.ingests.set(source.path, ingest);
    source.once('close', () => {
      if (this.ingests.get(source.path) === ingest) this.ingests.delete(source.path);
    });
  }

  /** Rooms: every camera/microphone producer on a room's router feeds `room/<roomId>/<peerId>`. */
  private watchRoomRouter(router: Router): void {
    const roomId = router.appData.roomId;
    // Routers a room spread to carry piped copies of producers that are followed on the primary.
    if (typeof roomId !== 'string' || router.appData.piped === true) return;
    onNewProducer(router, (producer) => this.onRoomProducer(router, roomId, producer));
  }

  private onRoomProducer(router: Router, roomId: string, producer: Producer): void {
    const { peerId, source: kindOfSource } = producer.appData;
    if (this.closedValue || typeof peerId !== 'string' || typeof kindOfSource !== 'string' || !ROOM_STREAM_SOURCES.has(kindOfSource)) return;
    const path = `room/${roomId}/${peerId}`;
    if (!streamPathSchema.safeParse(path).success) return;
    let source = this.get(path);
    if (source && source.origin !== 'room') return;
    if (!source) {
      const s = new StreamSource({ path, origin: 'room', sfu: this.sfu, router, ownsRouter: false });
      s.on('producerclose', () => {
        if (s.producers.size === 0) s.close();
      });
      this.register(s);
      source = s;
    }
    source.add(producer);
  }
}
