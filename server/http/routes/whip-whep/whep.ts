import { Router, type Request, type Response } from 'express';
import type { BridgeManager } from '../../../bridge/BridgeManager.js';
import { NotFoundError, UnsupportedError } from '../../../lib/errors.js';
import { logger } from '../../../lib/logger.js';
import type { CatchUpSession, Consumer, RtpCapabilities, RtpParameters, Sfu } from '../../../sfu/index.js';
import { buildViewAnswer, parseViewOffer } from '../../../sfu/sdp-mapping.js';
import { bodyOf, cors, iceServerLinks, requireStreamToken, SDP_TYPE, sdpBody, streamPathOf } from './common.js';
import { SessionStore } from './sessions.js';

const log = logger.child({ mod: 'whep' });

export interface WhepOptions {
  manager: BridgeManager;
  sfu: Sfu;
  /** auth.secret: with one, viewers need a Bearer JWT whose `stream` claim covers the path. */
  secret: string | null;
  corsOrigins: readonly string[];
  iceServers: readonly { urls: string | string[]; username?: string; credential?: string }[];
}

/**
 * WHEP (draft-ietf-wish-whep-02 §4): `POST /whep/<stream path>` with an SDP offer that
 * receives → `201 Created`, the answer (one sendonly track per matched producer), `Location`
 * (DELETE it when done), `ETag` and ICE server `Link`s. Open unless `auth.secret` is set; then a
 * Bearer JWT (HS256) with `{ stream: '<path>' | 'live/*' }` is needed (no `publish` claim).
 * Malformed SDP → 400, no codec in common → 415, unknown stream → 404.
 */
export function whepRoutes(options: WhepOptions): { router: Router; sessions: SessionStore } {
  const sessions = new SessionStore('/whep');
  const router = Router();
  router.use('/whep', cors(options.corsOrigins));
  router.use(sessions.routes());
  router.post('/whep/*path', sdpBody, async (req: Request, res: Response) => {
    const path = streamPathOf(req);
    const sdpOffer = bodyOf(req, SDP_TYPE);
    if (options.secret !== null) await requireStreamToken(req, res, options.secret, path, false);
    // An RTMP/RTSP stream not bridged yet (bridge.mode: on-demand) is bridged now; bounded wait.
    const source = await options.manager.viewable(path);
    if (!source) throw new NotFoundError(`stream ${path} is not live`);
    sessions.assertCapacity();
    const offer = parseViewOffer(sdpOffer);
    // A router whose payload types are the viewer's own (ViewerRouters), the producers piped there.
    const offered: RtpCapabilities = { codecs: offer.media.flatMap((m) => m.rtpCapabilities?.codecs ?? []), headerExtensions: [] };
    const { router, producers } = await source.viewers.place(source.viewable(), offered);
    const transport = await options.sfu.createWebRtcTransport(router, { appData: { path, whep: true } });
    const consumers: Consumer[] = [];
    let catchUp: CatchUpSession | undefined;
    let sdpAnswer: string;
    try {
      await transport.connect({ dtlsParameters: offer.transport.dtlsParameters });
      // Each receiving m-line takes the first producer of its kind not taken yet.
      const taken = new Set<string>();
      const answered = new Map<string, { rtpParameters: RtpParameters; streamId: string; trackId: string }>();
      const streamId = path.replace(/\//g, '-');
      for (const m of offer.media) {
        if (!m.rtpCapabilities) continue;
        const producer = producers.map((p) => p.copy).find((p) => p.kind === m.kind && !taken.has(p.id) && router.canConsume({ producerId: p.id, rtpCapabilities: m.rtpCapabilities as RtpCapabilities }));
        if (!producer) continue;
        taken.add(producer.id);
        // Paused until the viewer's DTLS is up: the first keyframe then reaches its decoder.
        // No RTX: the router chose its RTX payload types, the viewer did not (see ViewerRouters).
        const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: m.rtpCapabilities, paused: true, mid: m.mid, enableRtx: false });
        consumers.push(consumer);
        answered.set(m.mid, { rtpParameters: consumer.rtpParameters, streamId, trackId: `${producer.kind}-${consumer.id}` });
      }
      // A second video m-line (the watch page offers one) gets the catch-up track of a running
      // bridged stream: the cached GOP now, while the live track waits for the next keyframe.
      const extra = offer.media.find((m) => m.kind === 'video' && m.rtpCapabilities && !answered.has(m.mid));
      if (extra?.rtpCapabilities && source.catchUp?.ready) {
        catchUp = await source.catchUp.session(router);
        if (router.canConsume({ producerId: catchUp.producer.id, rtpCapabilities: extra.rtpCapabilities as RtpCapabilities })) {
          const consumer = await transport.consume({ producerId: catchUp.producer.id, rtpCapabilities: extra.rtpCapabilities, paused: true, mid: extra.mid, enableRtx: false });
          consumers.push(consumer);
          answered.set(extra.mid, { rtpParameters: consumer.rtpParameters, streamId: `${streamId}-catchup`, trackId: `catchup-${consumer.id}` });
          transport.observer.once('close', () => catchUp?.close());
        } else {
          catchUp.close();
          catchUp = undefined;
        }
      }
      if (consumers.length === 0) throw new UnsupportedError('no track of the stream can be sent in a codec the offer accepts');
      sdpAnswer = buildViewAnswer(sdpOffer, { iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters }, answered);
    } catch (err) {
      catchUp?.close();
      transport.close();
      throw err;
    }
    const session = sessions.add(path, transport, offer.transport.iceUfrag);
    // One viewer for on-demand bridging until the session ends (DELETE, ICE failure, source gone).
    options.manager.viewerJoined(path);
    transport.observer.once('close', () => options.manager.viewerLeft(path));
    transport.on('dtlsstatechange', (state) => {
      if (state !== 'connected') return;
      void Promise.all(consumers.map((c) => c.resume())).then(
        () => catchUp?.start(),
        () => undefined,
      );
    });
    // Nothing left to send (the publisher went away, the bridge was replaced): end the session.
    const onGone = (): void => {
      if (consumers.every((c) => c.closed)) transport.close();
    };
    for (const c of consumers) c.observer.once('close', onGone);
    source.once('close', () => transport.close());
    log.info({ path, session: session.id, worker: router.appData.workerIndex, tracks: consumers.map((c) => c.rtpParameters.codecs[0]?.mimeType) }, 'whep session');
    res.status(201);
    res.set({ 'Content-Type': SDP_TYPE, Location: sessions.location(session), ETag: session.etag, 'Accept-Patch': 'application/trickle-ice-sdpfrag' });
    const links = iceServerLinks(options.iceServers);
    if (links.length > 0) res.set('Link', links);
    res.send(sdpAnswer);
  });
  return { router, sessions };
}
