import path from 'node:path';
import { Router } from 'express';
import { idSchema } from '../../../protocol/signaling/schemas.js';
import { CLIENT_DIST } from '../app.js';

/** `GET /room/:roomId`: the room page (its script reads the room id from the path). */
export function roomPageRoutes(): Router {
  const router = Router();
  router.get('/room/:roomId', (req, res) => {
    if (!idSchema.safeParse(req.params.roomId).success) {
      res.status(400).json({ error: { code: 'bad_request', message: 'room ids use letters, digits and _ . : -' } });
      return;
    }
    res.sendFile(path.join(CLIENT_DIST, 'room.html'));
  });
  return router;
}
