import path from 'node:path';
import { Router } from 'express';
import { streamPathSchema } from '../../../protocol/control/messages.js';
import { CLIENT_DIST } from '../app.js';

/**
 * `GET /watch/<stream path>`: the watch page (client/pages/watch.*). Its script reads the
 * stream path from the URL and plays `/hls/<stream path>/index.m3u8`; `?embed=1` hides the
 * chrome for an iframe. Framing is allowed from any origin: embedding is the point.
 */
export function watchPageRoutes(): Router {
  const router = Router();
  router.get('/watch/*path', (req, res) => {
    const segments = (req.params as { path?: string[] }).path ?? [];
    if (!streamPathSchema.safeParse(segments.join('/')).success) {
      res.status(400).json({ error: { code: 'bad_request', message: 'not a stream path' } });
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.sendFile(path.join(CLIENT_DIST, 'watch.html'));
  });
  return router;
}
