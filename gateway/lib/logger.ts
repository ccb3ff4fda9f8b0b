import { pino, type Logger } from 'pino';

/**
 * The gateway worker's logger (pino, JSON lines on stdout, which the worker shares with the
 * server). Every line carries `proc: 'gateway'` and the worker id once the config arrived;
 * modules take a child (`logger.child({ mod: 'rtmp' })`). Secrets are redacted as fields.
 */
export const logger: Logger = pino({
  level: process.env.ESTUARY_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { pid: process.pid, proc: 'gateway' },
  redact: {
    paths: ['token', 'key', 'secret', 'password', 'query', '*.token', '*.key', '*.secret', '*.password', '*.query', 'authorization'],
    censor: '[redacted]',
  },
});

export function setLogLevel(level: string): void {
  logger.level = level;
}
