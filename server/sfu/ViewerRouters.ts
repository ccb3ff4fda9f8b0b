import type { types } from 'mediasoup';
import { UnsupportedError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { ProducerPipes } from './pipe.js';
import { sameCodec } from './sdp-mapping/codec-match.js';
import type { RouterAppData, Sfu } from './Sfu.js';

const log = logger.child({ mod: 'sfu-viewers' });

/** Distinct viewer routers one source keeps: one per payload-type mapping and worker (browsers agree; a few clients differ). */
export const MAX_VIEWER_ROUTERS = 32;

/** What a viewer's transport is built on. */
export interface ViewerPlacement {
  router: types.Router<RouterAppData>;
  /** The source producers the viewer can receive, each with its copy in `router` (what to consume). */
  producers: { original: types.Producer; copy: types.Producer }[];
}

/**
 * Routers for SDP viewers (WHEP) of one source's producers. A mediasoup consumer always sends
 * with its router's payload types, while an SDP offerer expects the answerer to send with the
 * offer's own (RFC 3264 §6.1; Chromium keeps decoding by its offer's numbers and misreads a
 * stream sent with others, without any error). So viewers are served from routers whose codecs
 * carry the viewer's payload types: one router per distinct mapping (all Chromium viewers share
 * one) and per worker, each fed from the source router through pipe transports (ProducerPipes). A router takes new
 * viewers while its worker has fewer than `maxConsumersPerWorker` consumers; then the mapping
 * gets a router on the least-loaded worker. RTX is not offered to such viewers (the router picks
 * RTX payload types itself): NACKed packets are resent on the media SSRC, which receivers that
 * offer `nack` accept.
 */
export class ViewerRouters {
  private readonly sfu: Sfu;
  private readonly source: types.Router;
  private readonly appData: types.AppData;
  /** Viewer routers by `<mapping>@<worker>`. */
  private readonly routers = new Map<string, Promise<types.Router<RouterAppData>>>();
  private readonly pipes = new ProducerPipes();
  private closed = false;

  constructor(sfu: Sfu, source: types.Router, appData: types.AppData) {
    this.sfu = sfu;
    this.source = source;
    this.appData = appData;
  }

  /**
   * A router for a viewer of `producers` whose offer holds `offered` (the receive capabilities
   * of all its m-lines), with the producers piped there. Producers whose codec the viewer does
   * not offer are left out; UnsupportedError when none is left.
   */
  async place(producers: readonly types.Producer[], offered: types.RtpCapabilities): Promise<ViewerPlacement> {
    const mediaCodecs: types.RtpCodecCapability[] = [];
    const usable: types.Producer[] = [];
    for (const producer of producers) {
      const codec = producer.rtpParameters.codecs.find((c) => !/\/(rtx|red|ulpfec)$/i.test(c.mimeType));
      if (!codec) continue;
      const cap: types.RtpCodecCapability = { kind: producer.kind, mimeType: codec.mimeType, clockRate: codec.clockRate, parameters: { ...codec.parameters } };
      if (codec.channels !== undefined) cap.channels = codec.channels;
      const match = (offered.codecs ?? []).find(
        (o) =>
          o.kind === producer.kind &&
          o.preferredPayloadType !== undefined &&
          sameCodec({ payloadType: o.preferredPayloadType, mimeType: o.mimeType, clockRate: o.clockRate, channels: o.kind === 'audio' ? (o.channels ?? 1) : undefined, parameters: o.parameters ?? {}, rtcpFeedback: [] }, cap),
      );
      if (!match || match.preferredPayloadType === undefined) continue;
      if (mediaCodecs.some((c) => c.preferredPayloadType === match.preferredPayloadType)) continue;
      mediaCodecs.push({ ...cap, preferredPayloadType: match.preferredPayloadType });
      usable.push(producer);
    }
    if (usable.length === 0) throw new UnsupportedError('the offer accepts none of the stream codecs');
    const mapping = mediaCodecs.map((c) => `${c.mimeType}/${c.clockRate}/${c.channels ?? ''}/${c.preferredPayloadType}/${String(c.parameters?.['profile-level-id'] ?? '')}`).join(',');
    const router = await this.routerFor(mapping, mediaCodecs);
    const copies: ViewerPlacement['producers'] = [];
    for (const original of usable) copies.push({ original, copy: await this.pipes.copy(this.source, router, original.id) });
    return { router, producers: copies };
  }

  /** Closes every viewer router (their transports and consumers close). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.routers.values()) void pending.then((r) => r.close(), () => undefined);
    this.routers.clear();
  }

  private async routerFor(mapping: string, mediaCodecs: types.RtpCodecCapability[]): Promise<types.Router<RouterAppData>> {
    const max = this.sfu.options.maxConsumersPerWorker;
    // A worker of this mapping with room, else the least-loaded worker.
    for (const slot of this.sfu.slots) {
      const pending = this.routers.get(`${mapping}@${slot.index}`);
      if (pending && slot.worker && slot.load < max) return pending;
    }
    const best = this.sfu.leastLoaded();
    if (!best) throw new UnsupportedError('no mediasoup worker available');
    const key = `${mapping}@${best.index}`;
    let pending = this.routers.get(key);
    if (!pending) {
      if (this.routers.size >= MAX_VIEWER_ROUTERS) throw new UnsupportedError(`too many distinct viewer codec mappings (${MAX_VIEWER_ROUTERS})`);
      pending = this.sfu.createRouter({ appData: { ...this.appData, viewers: true }, workerIndex: best.index, mediaCodecs });
      this.routers.set(key, pending);
      pending.then(
        (router) => {
          if (this.closed) router.close();
          router.observer.once('close', () => {
            if (this.routers.get(key) === pending) this.routers.delete(key);
          });
          log.info({ source: this.appData, worker: best.index, mapping }, 'viewer router');
        },
        () => this.routers.delete(key),
      );
    }
    return pending;
  }
}
