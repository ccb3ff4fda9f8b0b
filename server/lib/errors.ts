/**
 * Error classes shared by the server, the gateway and the protocol code. Callers branch on the
 * class, never on the message; HTTP and signaling map classes to codes in one place
 * (`errorCode`).
 */

/** A call made in a state that does not allow it (closed object, pending negotiation). */
export class InvalidStateError extends Error {
  override name = 'InvalidStateError';
}

/** A codec, feature or parameter that Estuary does not support. */
export class UnsupportedError extends Error {
  override name = 'UnsupportedError';
}

/** A named object (room, peer, transport, producer, stream) that does not exist. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The caller is not allowed to do this (missing or bad token, missing permission). */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}

/** The request conflicts with current state (a stream name already live, a used MID). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** Wire codes used by signaling acks and HTTP error bodies. */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_state'
  | 'unsupported'
  | 'not_found'
  | 'unauthorized'
  | 'conflict'
  | 'internal';

/**
 * Maps an error to its wire code: the one place classes become codes. mediasoup's own
 * `UnsupportedError` and `InvalidStateError` (a codec the router lacks, a closed transport)
 * carry the same names as ours and are matched by name, so that only server/sfu imports it.
 */
export function errorCode(err: unknown): ErrorCode {
  if (err instanceof InvalidStateError || (err instanceof Error && err.name === 'InvalidStateError')) return 'invalid_state';
  if (err instanceof UnsupportedError || (err instanceof Error && err.name === 'UnsupportedError')) return 'unsupported';
  if (err instanceof NotFoundError) return 'not_found';
  if (err instanceof UnauthorizedError) return 'unauthorized';
  if (err instanceof ConflictError) return 'conflict';
  if (err instanceof TypeError) return 'bad_request';
  return 'internal';
}

/** HTTP status for a wire code. */
export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'bad_request':
      return 400;
    case 'unauthorized':
      return 401;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'unsupported':
      return 415;
    case 'invalid_state':
      return 409;
    case 'internal':
      return 500;
  }
}
