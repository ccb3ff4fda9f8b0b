import { Router, type Request, type Response } from 'express';
import { InvalidStateError, NotFoundError } from '../../../lib/errors.js';
import { applyTrickle, MAX_SESSIONS, newEtag, newSessionId, sdpBody, type WebRtcSession } from './common.js';
import type { WebRtcTransport } from '../../../sfu/index.js';
import { getTransportParameters, parseSdp } from '../../../../protocol/sdp/index.js';

/**
 * The session resources of one endpoint kind (`/whip/sessions/<id>`, `/whep/sessions/<id>`):
 * DELETE ends the session (RFC 9725 §4.2), PATCH trickles candidates (§4.3). A session also
 * ends by itself when its transport fails or closes.
 */
export class SessionStore {
  readonly sessions = new Map<string, WebRtcSession>();
  readonly prefix: string;

  constructor(prefix: '/whip' | '/whep') {
    this.prefix = prefix;
  }

  /** Registers a session for `transport`; InvalidStateError (409) beyond MAX_SESSIONS. */
  add(path: string, transport: WebRtcTransport, sdpOffer: string): WebRtcSession {
    if (this.sessions.size >= MAX_SESSIONS) throw new InvalidStateError(`too many sessions (${MAX_SESSIONS})`);
    let remoteUfrag: string | undefined;
    try {
      const offer = parseSdp(sdpOffer);
      remoteUfrag = getTransportParameters(offer.media[0]?.lines ?? [], offer.lines).iceUfrag;
    } catch {
      remoteUfrag = undefined; // the transport accepted it already: only the ufrag is missing
    }
    const session: WebRtcSession = { id: newSessionId(), path, transport, etag: newEtag(), remoteUfrag };
    this.sessions.set(session.id, session);
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') transport.close();
    });
    transport.once('close', () => this.sessions.delete(session.id));
    return session;
  }

  location(session: WebRtcSession): string {
    return `${this.prefix}/sessions/${session.id}`;
  }

  /** DELETE and PATCH on the session resources. */
  routes(): Router {
    const router = Router();
    router.delete(`${this.prefix}/sessions/:id`, (req: Request, res: Response) => {
      const session = this.get(req);
      session.transport.close();
      res.status(200).end();
    });
    router.patch(`${this.prefix}/sessions/:id`, sdpBody, (req: Request, res: Response) => {
      applyTrickle(req, this.get(req));
      res.status(204).end();
    });
    return router;
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.transport.close();
  }

  private get(req: Request): WebRtcSession {
    const id = (req.params as { id?: string }).id ?? '';
    const session = this.sessions.get(id);
    if (!session) throw new NotFoundError('no such session');
    return session;
  }
}
