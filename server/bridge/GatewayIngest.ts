import type { IngestOpenParams, IngestTrack } from '../../protocol/control/messages.js';
import { logger } from '../lib/logger.js';
import type { Consumer, PlainTransport } from '../sfu/index.js';
import { ingestTrack } from './codecs.js';
import type { StreamSource } from './StreamSource.js';

const log = logger.child({ mod: 'bridge-ingest' });

/**
 * Producers of a room peer rarely come alone (camera, then microphone a few ms later): one
 * ingest is opened after the set is quiet this long, not one per producer.
 */
export const INGEST_SETTLE_MS = 250;
/** After a failed `ingestOpen` (no worker ready, worker restarting) the ingest is retried after this. */
export const INGEST_RETRY_MS = 2_000;

/** What an ingest needs of the gateway subsystem (server/gateway/mount.ts). */
export interface IngestPort {
  requestIngest(params: IngestOpenParams): Promise<{ port: number }>;
  closeIngest(path: string, reason: string): void;
}

/**
 * Sends one source's producers (a WHIP publisher, a room peer's camera and microphone) to a
 * gateway worker as plain RTP, so HLS, HTTP-FLV and RTMP play get the stream (the bridge
 * contract's `ingestOpen`). The track set follows the source: a change reopens the ingest.
 */
export class GatewayIngest {
  readonly path: string;
  private readonly source: StreamSource;
  private readonly origin: 'room' | 'whip';
  private readonly gateway: IngestPort;
  private transport: PlainTransport | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by every (re)open and close: an answer for an older one is dropped. */
  private generation = 0;
  private opened = false;
  private closedValue = false;

  constructor(source: StreamSource, origin: 'room' | 'whip', gateway: IngestPort) {
    this.path = source.path;
    this.source = source;
    this.origin = origin;
    this.gateway = gateway;
    source.on('newproducer', () => this.schedule(INGEST_SETTLE_MS));
    source.on('producerclose', () => this.schedule(INGEST_SETTLE_MS));
    source.once('close', () => this.close('source closed'));
    this.schedule(INGEST_SETTLE_MS);
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** The gateway dropped the ingest (worker died): open it again. */
  restart(): void {
    this.opened = false;
    this.schedule(INGEST_RETRY_MS);
  }

  close(reason: string): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.generation++;
    clearTimeout(this.timer);
    this.transport?.close();
    this.transport = undefined;
    if (this.opened) this.gateway.closeIngest(this.path, reason);
    this.opened = false;
  }

  private schedule(delayMs: number): void {
    if (this.closedValue) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.open(), delayMs);
    this.timer.unref();
  }

  private async open(): Promise<void> {
    const generation = ++this.generation;
    this.transport?.close();
    this.transport = undefined;
    const producers = this.source.viewable();
    if (producers.length === 0) {
      if (this.opened) this.gateway.closeIngest(this.path, 'no producers');
      this.opened = false;
      return;
    }
    let transport: PlainTransport | undefined;
    try {
      transport = await this.source.router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: true,
        comedia: false,
        appData: { path: this.path, ingest: true },
      });
      if (generation !== this.generation) {
        transport.close();
        return;
      }
      this.transport = transport;
      const consumers: Consumer[] = [];
      const tracks: IngestTrack[] = [];
      for (const p of producers) {
        // The router's own codecs (the consumer keeps the producer's codec), no header extensions
        // (the gateway reads none), no RTX (loopback loses nothing).
        const c = await transport.consume({ producerId: p.id, rtpCapabilities: { codecs: this.source.router.rtpCapabilities.codecs ?? [], headerExtensions: [] }, paused: true, enableRtx: false });
        const track = ingestTrack(p.kind, c.rtpParameters);
        if (!track) {
          c.close();
          continue;
        }
        consumers.push(c);
        tracks.push(track);
      }
      if (tracks.length === 0) {
        log.info({ path: this.path }, 'no track the gateway can ingest');
        return;
      }
      const { port } = await this.gateway.requestIngest({ path: this.path, origin: this.origin, tracks });
      if (generation !== this.generation) return;
      this.opened = true;
      await transport.connect({ ip: '127.0.0.1', port });
      for (const c of consumers) await c.resume();
      log.info({ path: this.path, port, tracks: tracks.map((t) => t.codec) }, 'ingest opened');
    } catch (err) {
      if (generation !== this.generation) return;
      log.warn({ path: this.path, err: (err as Error).message }, 'ingest open failed; retrying');
      transport?.close();
      this.schedule(INGEST_RETRY_MS);
    }
  }
}
