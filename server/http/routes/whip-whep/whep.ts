import { Router, type Request, type Response } from 'express';
import type { BridgeManager } from '../../../bridge/BridgeManager.js';
import { NotFoundError } from '../../../lib/errors.js';
import { logger } from '../../../lib/logger.js';
import type { Consumer } from '../../../sfu/index.js';
import { bodyOf, cors, iceServerLinks, requireStreamToken, SDP_TYPE, sdpBody, streamPathOf } from './common.js';
import { SessionStore } from './sessions.js';

const log = logger.child({ mod: 'whep' });

export interface WhepOptions {
  manager: BridgeManager;
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
    const transport = source.router.createWebRtcTransport({ direction: 'recv', appData: { path, whep: true } });
    let consumers: Consumer[];
    let sdpAnswer: string;
    try {
      ({ consumers, sdpAnswer } = await transport.consumeOffer({ sdpOffer, producers: source.viewable(), streamId: path.replace(/\//g, '-') }));
    } catch (err) {
      transport.close();
      throw err;
    }
    const session = sessions.add(path, transport, sdpOffer);
    // One viewer for on-demand bridging until the session ends (DELETE, ICE failure, source gone).
    options.manager.viewerJoined(path);
    transport.once('close', () => options.manager.viewerLeft(path));
    // Consumers start when the viewer can receive: the first keyframe then reaches its decoder.
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected') for (const c of consumers) c.resume();
    });
    // Nothing left to send (the publisher went away, the bridge was replaced): end the session.
    const onGone = (): void => {
      if (consumers.every((c) => c.closed)) transport.close();
    };
    for (const c of consumers) c.once('close', onGone);
    source.once('close', () => transport.close());
    log.info({ path, session: session.id, tracks: consumers.map((c) => c.codec.mimeType) }, 'whep session');
    res.status(201);
    res.set({ 'Content-Type': SDP_TYPE, Location: sessions.location(session), ETag: session.etag, 'Accept-Patch': 'application/trickle-ice-sdpfrag' });
    const links = iceServerLinks(options.iceServers);
    if (links.length > 0) res.set('Link', links);
    res.send(sdpAnswer);
  });
  return { router, sessions };
}
