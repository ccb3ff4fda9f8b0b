import path from 'node:path';
import { z } from 'zod';

/**
 * The `hls` section of the worker config (the server passes it through unchecked; see
 * server/config.ts for the meaning and defaults of each key). Validated again here because
 * the gateway trusts nothing it did not check.
 */
export const hlsConfigSchema = z.object({
  enabled: z.boolean().default(true),
  dir: z.string().min(1).default('./data/hls'),
  format: z.enum(['fmp4', 'mpegts']).default('fmp4'),
  segmentDuration: z.number().min(0.5).max(10).default(1),
  partDuration: z.number().min(0).max(2).default(0.25),
  windowSegments: z.number().int().min(3).max(60).default(6),
  cleanupDelay: z.number().min(0).default(30),
});

export type HlsConfig = z.infer<typeof hlsConfigSchema>;

/** Parses the passed-through section; the directory is made absolute (the worker's cwd is the server's). */
export function parseHlsConfig(raw: unknown): HlsConfig {
  const config = hlsConfigSchema.parse(raw ?? {});
  return { ...config, dir: path.resolve(config.dir) };
}
