import { pino, type Logger } from 'pino';

/**
 * The process logger (pino, JSON lines). Modules take a child: `logger.child({ mod: 'rtmp' })`,
 * and connections a child of that with their ids. Level from `ESTUARY_LOG_LEVEL` (read here,
 * before config, so config errors are logged too) or `log.level` in the config, applied by
 * `setLogLevel`. Secrets (tokens, keys, passwords) are redacted wherever they appear as fields.
 */
export const logger: Logger = pino({
  level: process.env.ESTUARY_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { pid: process.pid },
  redact: {
    paths: ['token', 'key', 'secret', 'password', '*.token', '*.key', '*.secret', '*.password', 'authorization'],
    censor: '[redacted]',
  },
});

export function setLogLevel(level: string): void {
  logger.level = level;
}
