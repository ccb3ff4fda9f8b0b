import type { NextFunction, Request, Response } from 'express';
import { verifyAdminToken } from './tokens.js';

const BEARER = /^Bearer\s+(\S+)$/i;

/** The bearer token of an `Authorization` header (RFC 6750 §2.1), if any. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

/**
 * Express middleware guarding the REST API: with a secret configured every request needs an
 * admin token; without one the API is open (the server warned about that at start).
 */
export function requireAdmin(secret: string | null) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (secret === null) return next();
    verifyAdminToken(bearerToken(req.headers.authorization), secret).then(() => next(), next);
  };
}
