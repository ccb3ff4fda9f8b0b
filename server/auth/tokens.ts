import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { roomTokenClaimsSchema, type RoomTokenClaims } from '../../protocol/signaling/schemas.js';
import { UnauthorizedError } from '../lib/errors.js';

/**
 * Room and admin tokens: JWTs signed with HS256 (RFC 7519, RFC 7518 §3.2) using `auth.secret`.
 * A room token names one room and what its bearer may do there; an admin token carries
 * `admin: true` and opens the REST API.
 */

/** The only algorithm accepted: a token signed any other way (or `none`) is refused. */
const ALGORITHM = 'HS256';
/** Tolerated clock difference between the minting host and this one, in seconds. */
const CLOCK_TOLERANCE_S = 5;
/** Default lifetime of a minted token, in seconds. */
export const DEFAULT_TOKEN_TTL_S = 3600;

export type Permission = 'publish' | 'subscribe';

/** What a verified room token allows. */
export interface RoomGrant {
  room: string;
  canPublish: boolean;
  canSubscribe: boolean;
  /** A display name chosen by the token's issuer, which wins over the one the client sends. */
  name: string | undefined;
}

const adminClaimsSchema = z.object({ admin: z.literal(true) });

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

async function verifyJwt(token: string, secret: string): Promise<Record<string, unknown>> {
  try {
    const { payload } = await jwtVerify(token, key(secret), { algorithms: [ALGORITHM], clockTolerance: CLOCK_TOLERANCE_S });
    return payload;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('token expired');
    throw new UnauthorizedError('invalid token');
  }
}

/** Verifies a room token for `roomId`; throws UnauthorizedError when it is missing, bad, expired or for another room. */
export async function verifyRoomToken(token: string | undefined, secret: string, roomId: string): Promise<RoomGrant> {
  if (!token) throw new UnauthorizedError('a token is required to join');
  const parsed = roomTokenClaimsSchema.safeParse(await verifyJwt(token, secret));
  if (!parsed.success) throw new UnauthorizedError('token claims are not a room grant');
  const claims: RoomTokenClaims = parsed.data;
  if (claims.room !== roomId) throw new UnauthorizedError('token is for another room');
  const permissions = claims.permissions ?? ['publish', 'subscribe'];
  return { room: claims.room, canPublish: permissions.includes('publish'), canSubscribe: permissions.includes('subscribe'), name: claims.name };
}

/** Verifies an admin token (claim `admin: true`); throws UnauthorizedError otherwise. */
export async function verifyAdminToken(token: string | undefined, secret: string): Promise<void> {
  if (!token) throw new UnauthorizedError('an admin token is required');
  if (!adminClaimsSchema.safeParse(await verifyJwt(token, secret)).success) throw new UnauthorizedError('token is not an admin token');
}

export interface MintOptions {
  room?: string;
  permissions?: Permission[];
  admin?: boolean;
  name?: string;
  /** A publish key for a stream path or prefix (`live/demo`, `live/*`): RTMP `?key=`, WHIP Bearer. */
  stream?: string;
  ttlSeconds?: number;
}

/** Signs a token with the given claims, expiring after `ttlSeconds` (default one hour). */
export async function mintToken(secret: string, options: MintOptions): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (options.room !== undefined) claims.room = options.room;
  if (options.permissions !== undefined) claims.permissions = options.permissions;
  if (options.admin) claims.admin = true;
  if (options.name !== undefined) claims.name = options.name;
  if (options.stream !== undefined) Object.assign(claims, { stream: options.stream, publish: true });
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM })
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? DEFAULT_TOKEN_TTL_S}s`)
    .sign(key(secret));
}
