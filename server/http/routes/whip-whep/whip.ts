import { Router, type Request, type Response } from 'express';
import type { BridgeManager } from '../../../bridge/BridgeManager.js';
import { ConflictError, UnsupportedError } from '../../../lib/errors.js';
import { logger } from '../../../lib/logger.js';
import type { Producer, RtpParameters, Sfu } from '../../../sfu/index.js';
import { buildPublishAnswer, parsePublishOffer } from '../../../sfu/sdp-mapping.js';
import { bodyOf, cors, iceServerLinks, requireStreamToken, SDP_TYPE, sdpBody, streamPathOf } from './common.js';
import { SessionStore } from './sessions.js';

const log = logger.child({ mod: 'whip' });

export interface WhipOptions {
  manager: BridgeManager;
  sfu: Sfu;
  /** auth.secret: with one, publishers need a Bearer JWT `{ stream, publish: true }` (the RTMP publish-key claims). */
  secret: string | null;
  conflict: 'reject' | 'takeover';
  corsOrigins: readonly string[];
  iceServers: readonly { urls: string | string[]; username?: string; credential?: string }[];
  /** Whether a gateway stream (RTMP/RTSP) is live at the path, and a way to close its publisher. */
  gatewayLive?: (path: string) => boolean;
  kick?: (path: string, reason: string) => boolean;
}

/**
 * WHIP (RFC 9725 §4.2): `POST /whip/<stream path>` with the publisher's SDP offer (audio and
 * video at once, from OBS, ffmpeg's WHIP muxer or a browser) → `201 Created` with the answer,
 * `Location`, `ETag` and ICE server `Link`s; the producers become stream `<path>`. A live
 * name → 409 unless `publish.conflict: takeover`. DELETE the Location to stop.
 */
export function whipRoutes(options: WhipOptions): { router: Router; sessions: SessionStore } {
  const sessions = new SessionStore('/whip');
  const router = Router();
  router.use('/whip', cors(options.corsOrigins));
  router.use(sessions.routes());
  router.post('/whip/*path', sdpBody, async (req: Request, res: Response) => {
    const path = streamPathOf(req);
    const sdpOffer = bodyOf(req, SDP_TYPE);
    if (options.secret !== null) await requireStreamToken(req, res, options.secret, path, true);
    const ours = options.manager.get(path);
    const theirs = ours === undefined && (options.gatewayLive?.(path) ?? false);
    if ((ours || theirs) && options.conflict === 'reject') throw new ConflictError(`stream ${path} is already being published`);
    sessions.assertCapacity();
    const streamRouter = await options.sfu.createRouter({ appData: { path, origin: 'whip' } });
    try {
      const offer = parsePublishOffer(sdpOffer, streamRouter.rtpCapabilities);
      const usable = offer.media.filter((m): m is typeof m & { rtpParameters: RtpParameters; kind: 'audio' | 'video' } => m.rtpParameters !== undefined && (m.kind === 'audio' || m.kind === 'video'));
      if (usable.length === 0) throw new UnsupportedError('no track of the offer has a codec in common with the server');
      const transport = await options.sfu.createWebRtcTransport(streamRouter, { appData: { path, whip: true } });
      transport.observer.once('close', () => streamRouter.close());
      await transport.connect({ dtlsParameters: offer.transport.dtlsParameters });
      const producers: Producer[] = [];
      const accepted = new Map<string, RtpParameters>();
      for (const m of usable) {
        producers.push(await transport.produce({ kind: m.kind, rtpParameters: m.rtpParameters, appData: { path } }));
        accepted.set(m.mid, m.rtpParameters);
      }
      const sdpAnswer = buildPublishAnswer(sdpOffer, { iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters }, accepted);
      if (theirs) options.kick?.(path, 'taken over by a WHIP publisher');
      options.manager.addWhip(path, streamRouter, producers, options.conflict === 'takeover');
      const session = sessions.add(path, transport, offer.transport.iceUfrag);
      log.info({ path, session: session.id, tracks: producers.map((p) => p.rtpParameters.codecs[0]?.mimeType) }, 'whip publish');
      res.status(201);
      res.set({ 'Content-Type': SDP_TYPE, Location: sessions.location(session), ETag: session.etag, 'Accept-Patch': 'application/trickle-ice-sdpfrag' });
      const links = iceServerLinks(options.iceServers);
      if (links.length > 0) res.set('Link', links);
      res.send(sdpAnswer);
    } catch (err) {
      streamRouter.close();
      throw err;
    }
  });
  return { router, sessions };
}
