import { ZodError } from 'zod';
import type { Ack, ErrorCode, RequestName } from '../../protocol/signaling/schemas.js';
import { ParseError } from '../../protocol/errors.js';
import { errorCode } from '../lib/errors.js';
import type { RequestContext, SignalingServices } from './context.js';
import { isRequestName, parseRequest, routeRequest, type Handlers } from './request.js';
import type { SignalingSession } from './SignalingSession.js';

/** Counters a monitoring endpoint can read. */
export interface SignalingStats {
  /** Requests received with an ack callback (each answered exactly once). */
  requests: number;
  /** Requests answered with an error, by code. */
  errors: Record<ErrorCode, number>;
  /** Events whose name is not a request: ignored. */
  unknownEvents: number;
  /** Request events sent without an ack callback: nobody to answer, ignored. */
  missingAck: number;
}

type AckFn = (response: Ack<unknown>) => void;

/** Longest message echoed back in an error ack (zod issues can be long). */
const MAX_ERROR_MESSAGE_LENGTH = 300;

/**
 * Turns socket events into handler calls: validates the payload with the shared schema, runs
 * the handler, and answers the ack exactly once, mapping error classes to codes here and only
 * here. A handler exception never escapes; an `internal` error is logged, not echoed.
 */
export class SignalingDispatcher {
  readonly stats: SignalingStats = {
    requests: 0,
    errors: { bad_request: 0, invalid_state: 0, unsupported: 0, not_found: 0, unauthorized: 0, conflict: 0, internal: 0 },
    unknownEvents: 0,
    missingAck: 0,
  };
  private readonly handlers: Handlers;
  private readonly services: SignalingServices;

  constructor(handlers: Handlers, services: SignalingServices) {
    this.handlers = handlers;
    this.services = services;
  }

  /** Handles one incoming event (`socket.onAny`): `args` is the payload then the ack. */
  handle(session: SignalingSession, event: string, args: unknown[]): void {
    if (!isRequestName(event)) {
      this.stats.unknownEvents++;
      return;
    }
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      this.stats.missingAck++;
      return;
    }
    this.stats.requests++;
    const payload = args.length > 1 ? args[0] : undefined;
    let answered = false;
    const answer = (response: Ack<unknown>): void => {
      if (answered) return;
      answered = true;
      try {
        (ack as AckFn)(response);
      } catch (err) {
        this.services.log.warn({ err, event }, 'ack callback threw');
      }
    };
    this.run(session, event, payload).then(
      (data) => answer({ ok: true, data }),
      (err: unknown) => answer(this.failure(session, event, err)),
    );
  }

  private async run(session: SignalingSession, name: RequestName, payload: unknown): Promise<unknown> {
    const ctx: RequestContext = { ...this.services, session };
    return routeRequest(this.handlers, ctx, parseRequest(name, payload));
  }

  private failure(session: SignalingSession, event: string, err: unknown): Ack<never> {
    const code = codeOf(err);
    this.stats.errors[code]++;
    const peerId = session.peer?.id;
    if (code === 'internal') {
      this.services.log.error({ err, event, peerId, socket: session.id }, 'signaling handler failed');
      return { ok: false, error: { code, message: 'internal error' } };
    }
    this.services.log.debug({ event, peerId, code, message: messageOf(err) }, 'request refused');
    return { ok: false, error: { code, message: messageOf(err).slice(0, MAX_ERROR_MESSAGE_LENGTH) } };
  }
}

/** Bad payloads (schema) and unparseable SDP are the client's fault; the rest follows the error classes. */
function codeOf(err: unknown): ErrorCode {
  if (err instanceof ZodError || err instanceof ParseError) return 'bad_request';
  return errorCode(err);
}

function messageOf(err: unknown): string {
  if (err instanceof ZodError) return err.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
  return err instanceof Error ? err.message : String(err);
}
