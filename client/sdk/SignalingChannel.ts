import type { Socket } from 'socket.io-client';
import type { Ack, ErrorCode, RequestName, RequestPayload, ResponseData } from '../../protocol/signaling/schemas.js';

/** How long a request waits for its ack; SFU negotiations answer in milliseconds. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** A request the server refused, with its wire code (`invalid_state`, `unauthorized`, ...). */
export class SignalingError extends Error {
  override name = 'SignalingError';
  constructor(
    readonly code: ErrorCode | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

/** Typed request/response over the socket.io connection: resolves with the ack's data or throws SignalingError. */
export class SignalingChannel {
  constructor(private readonly socket: Socket) {}

  async request<N extends RequestName>(name: N, payload: RequestPayload<N>): Promise<ResponseData[N]> {
    let response: Ack<ResponseData[N]>;
    try {
      response = (await this.socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck(name, payload)) as Ack<ResponseData[N]>;
    } catch {
      throw new SignalingError('timeout', `${name}: no answer within ${REQUEST_TIMEOUT_MS} ms`);
    }
    if (!response.ok) throw new SignalingError(response.error.code, `${name}: ${response.error.message}`);
    return response.data;
  }
}
