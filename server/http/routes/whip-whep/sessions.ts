import { Router, type Request, type Response } from 'express';
import { InvalidStateError, NotFoundError } from '../../../lib/errors.js';
import { applyPatch, MAX_SESSIONS, newEtag, newSessionId, sdpBody, type WebRtcSession } from './common.js';
import type { WebRtcTransport } from '../../../sfu/index.js';

/**
 * A session whose ICE stays disconnected this long (the client vanished without DELETE: mediasoup
 * declares it after 30 s without consent checks) ends; an ICE restart PATCH within it keeps it.
 */
export const ICE_DISCONNECTED_GRACE_MS = 15_000;

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
  /** Checks there is room for one more session: call before allocating anything for it. */
  assertCapacity(): void {
    if (this.sessions.size >= MAX_SESSIONS) throw new InvalidStateError(`too many sessions (${MAX_SESSIONS})`);
  }

  /** Registers a session for `transport` (the client's ICE ufrag from its offer); InvalidStateError (409) beyond MAX_SESSIONS. */
  add(path: string, transport: WebRtcTransport, remoteUfrag: string): WebRtcSession {
    this.assertCapacity();
    const session: WebRtcSession = { id: newSessionId(), path, transport, etag: newEtag(), remoteUfrag };
    this.sessions.set(session.id, session);
    let grace: NodeJS.Timeout | undefined;
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') transport.close();
    });
    transport.on('icestatechange', (state) => {
      clearTimeout(grace);
      if (state === 'disconnected') grace = setTimeout(() => transport.close(), ICE_DISCONNECTED_GRACE_MS).unref();
    });
    transport.observer.once('close', () => {
      clearTimeout(grace);
      this.sessions.delete(session.id);
    });
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
    router.patch(`${this.prefix}/sessions/:id`, sdpBody, async (req: Request, res: Response) => {
      await applyPatch(req, res, this.get(req));
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
