/**
 * Errors raised by the pure wire code. A parser that meets bytes it cannot accept throws
 * ParseError with a machine-readable reason; "need more bytes" is never an error (STYLE.md §4).
 */
export class ParseError extends Error {
  override name = 'ParseError';
  constructor(
    /** Short stable reason, e.g. 'chunk-too-large', 'bad-version', 'truncated'. */
    readonly reason: string,
    message?: string,
  ) {
    super(message ? `${reason}: ${message}` : reason);
  }
}
