import type { AuthorizeParams, AuthorizeResult } from '../protocol/control/messages.js';

/**
 * How ingest and egress modules ask the server whether a publish or play may go ahead
 * (the control channel's `authorizePublish` / `authorizePlay`; a fake in tests).
 */
export interface Authorize {
  publish(params: AuthorizeParams): Promise<AuthorizeResult>;
  play(params: AuthorizeParams): Promise<AuthorizeResult>;
}
