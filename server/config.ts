import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Estuary configuration: one YAML file (default `estuary.yaml` in the working directory, or
 * the path in `ESTUARY_CONFIG`), then `ESTUARY_*` environment overrides, validated with zod.
 *
 * Environment names are the key path in SCREAMING_SNAKE_CASE joined by `_`:
 * `http.port` → `ESTUARY_HTTP_PORT`, `webrtc.announcedIp` → `ESTUARY_WEBRTC_ANNOUNCED_IP`.
 * Values are parsed as JSON when they parse (numbers, booleans, arrays), else taken as strings.
 */

/**
 * Default `bridge.lingerMs`: 10 s covers a page reload or a quick channel flip (the bridge and
 * its ffmpeg child stay warm) while an abandoned stream stops costing a child within seconds.
 */
export const BRIDGE_LINGER_MS = 10_000;

/** A TCP/UDP port; 0 asks the OS for a free one (tests). */
const port = z.number().int().min(0).max(65535);

export const configSchema = z
  .object({
    log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).strict().default({ level: 'info' }),
    http: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(8080),
        /** Origins allowed by CORS on WHIP/WHEP and the API; `*` for any. */
        corsOrigins: z.array(z.string()).default(['*']),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 8080, corsOrigins: ['*'] }),
    webrtc: z
      .object({
        /** Address the ICE agent binds; `0.0.0.0` for every interface. */
        listenIp: z.string().default('0.0.0.0'),
        /** Address written into ICE candidates instead of the local ones (server behind NAT). */
        announcedIp: z.string().nullable().default(null),
        /** One UDP port shared by every peer (ICE UDP mux). */
        udpMux: z.boolean().default(true),
        /** The mux port, or the first port of the range when `udpMux` is false. */
        port: port.default(40000),
        /** Last port of the range when `udpMux` is false. */
        portMax: port.default(40999),
        /** ICE servers handed to clients (and used by the server), e.g. a TURN server. */
        iceServers: z
          .array(z.object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() }).strict())
          .default([]),
        /** Bitrate a publisher may send at most per transport, bits per second. */
        maxIncomingBitrate: z.number().int().positive().default(2_500_000),
        /** mediasoup worker processes; 0 = one per core. With udpMux, worker i listens on `port + i`. */
        workers: z.number().int().min(0).max(64).default(0),
        /**
         * Consumers one worker carries before a room's or stream's new viewers go to a router on
         * another worker (the producer is piped there). ~500 is what one core forwards for 720p.
         */
        maxConsumersPerWorker: z.number().int().min(1).default(500),
      })
      .strict()
      .default({
        listenIp: '0.0.0.0',
        announcedIp: null,
        udpMux: true,
        port: 40000,
        portMax: 40999,
        iceServers: [],
        maxIncomingBitrate: 2_500_000,
        workers: 0,
        maxConsumersPerWorker: 500,
      }),
    auth: z
      .object({
        /** HS256 secret for room tokens and publish keys; null leaves rooms and streams open. */
        secret: z.string().min(16, 'auth.secret must be at least 16 characters').nullable().default(null),
      })
      .strict()
      .default({ secret: null }),
    rooms: z
      .object({
        /** How long a peer whose socket dropped is kept for a reconnect, in ms. */
        reconnectGraceMs: z.number().int().min(0).max(120_000).default(20_000),
        maxPeersPerRoom: z.number().int().min(1).default(100),
      })
      .strict()
      .default({ reconnectGraceMs: 20_000, maxPeersPerRoom: 100 }),
    rtmp: z.object({ enabled: z.boolean().default(true), host: z.string().default('0.0.0.0'), port: port.default(1935) }).strict().default({ enabled: true, host: '0.0.0.0', port: 1935 }),
    rtsp: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('0.0.0.0'),
        port: port.default(8554),
        /** Where sources added with `POST /api/v1/streams` are kept across restarts; null: not kept. */
        stateFile: z.string().nullable().default('./data/streams.json'),
      })
      .strict()
      .default({ enabled: true, host: '0.0.0.0', port: 8554, stateFile: './data/streams.json' }),
    /**
     * Sources to pull (RTSP cameras), by stream path: `live/cam1: { source: 'rtsp://user:pass@10.0.0.5/stream1' }`;
     * `transport` tcp | udp | auto, `onDemand`, `tlsVerify` (rtsps://).
     */
    streams: z
      .record(
        z.string(),
        z
          .object({
            source: z.string().regex(/^rtsps?:\/\//i, 'an rtsp:// or rtsps:// URL'),
            transport: z.enum(['tcp', 'udp', 'auto']).default('auto'),
            onDemand: z.boolean().default(false),
            tlsVerify: z.boolean().default(true),
          })
          .strict(),
      )
      .default({}),
    flv: z.object({ enabled: z.boolean().default(true), host: z.string().default('0.0.0.0'), port: port.default(8088) }).strict().default({ enabled: true, host: '0.0.0.0', port: 8088 }),
    hls: z
      .object({
        enabled: z.boolean().default(true),
        /** Where segments and playlists are written; served under /hls/. */
        dir: z.string().default('./data/hls'),
        format: z.enum(['fmp4', 'mpegts']).default('fmp4'),
        /** Target segment duration in seconds (segments are cut at keyframes). */
        segmentDuration: z.number().min(0.5).max(10).default(1),
        /** LL-HLS part target in seconds; 0 disables LL-HLS. */
        partDuration: z.number().min(0).max(2).default(0.25),
        /** Segments kept in the live playlist window. */
        windowSegments: z.number().int().min(3).max(60).default(6),
        /** Seconds an ended stream's files stay before removal. */
        cleanupDelay: z.number().min(0).default(30),
      })
      .strict()
      .default({ enabled: true, dir: './data/hls', format: 'fmp4', segmentDuration: 1, partDuration: 0.25, windowSegments: 6, cleanupDelay: 30 }),
    publish: z
      .object({
        /** What a second publisher on a live stream name gets: rejected, or the stream. */
        conflict: z.enum(['reject', 'takeover']).default('reject'),
        /** HTTP callbacks; a non-2xx answer rejects the client. */
        onPublish: z.string().url().nullable().default(null),
        onPlay: z.string().url().nullable().default(null),
      })
      .strict()
      .default({ conflict: 'reject', onPublish: null, onPlay: null }),
    gateway: z
      .object({ enabled: z.boolean().default(true), workers: z.number().int().min(1).max(16).default(1) })
      .strict()
      .default({ enabled: true, workers: 1 }),
    /** The WebRTC bridge: RTMP/RTSP streams to WebRTC viewers, rooms/WHIP to HLS/FLV (gateway/bridge). */
    bridge: z
      .object({
        enabled: z.boolean().default(true),
        /** H.264 with B-frames for WebRTC viewers: re-encode (baseline, same GOP) or pass through. */
        bframes: z.enum(['transcode', 'passthrough']).default('transcode'),
        /** Re-encode VP8 from rooms/WHIP to H.264 for HLS/FLV/RTMP readers. */
        transcodeVp8: z.boolean().default(true),
        /** `on-demand`: bridge an RTMP/RTSP stream (and run its AAC→Opus child) only while it has WebRTC viewers; `always`: from its start. */
        mode: z.enum(['on-demand', 'always']).default('on-demand'),
        /**
         * How long an on-demand bridge stays after its last WebRTC viewer left, ms: a viewer who
         * reloads the page or switches back finds it running (no restart, the RTP GOP cache warm).
         */
        lingerMs: z.number().int().min(0).max(600_000).default(BRIDGE_LINGER_MS),
        /** Opus bitrate for WebRTC viewers of AAC streams, bits per second. */
        opusBitrate: z.number().int().min(6_000).max(510_000).default(96_000),
      })
      .strict()
      .default({ enabled: true, bframes: 'transcode', transcodeVp8: true, mode: 'on-demand', lingerMs: BRIDGE_LINGER_MS, opusBitrate: 96_000 }),
    redis: z.object({ url: z.string().nullable().default(null) }).strict().default({ url: null }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** A configuration error that names the offending key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** camelCase → SCREAMING_SNAKE. */
function envSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Every leaf key path of the schema's defaults, for env lookup. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [prefix];
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Builds the configuration from a parsed YAML object and an environment. Pure: tests call
 * it with literal inputs. Throws ConfigError naming the first bad key.
 */
export function buildConfig(file: unknown, env: NodeJS.ProcessEnv): Config {
  const raw: Record<string, unknown> = file === null || file === undefined ? {} : structuredClone(file as Record<string, unknown>);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('config file: top level must be a mapping');
  const defaults = configSchema.parse({});
  const known = new Set<string>();
  for (const path of leafPaths(defaults)) {
    const name = 'ESTUARY_' + path.map(envSegment).join('_');
    known.add(name);
    const v = env[name];
    if (v !== undefined) setPath(raw, path, parseEnvValue(v));
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('ESTUARY_') && !known.has(name) && !['ESTUARY_CONFIG', 'ESTUARY_LOG_LEVEL'].includes(name)) {
      throw new ConfigError(`${name}: unknown environment override`);
    }
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(root)');
    const where = issue.code === 'unrecognized_keys' ? `${[...issue.path, ...issue.keys].join('.')}` : key;
    throw new ConfigError(`config key "${where}": ${issue.message}`);
  }
  return result.data;
}

/** Loads the YAML file (if present) and the environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const path = env.ESTUARY_CONFIG ?? 'estuary.yaml';
  let file: unknown = {};
  if (existsSync(path)) {
    try {
      file = parseYaml(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError(`${path}: ${(err as Error).message}`);
    }
  } else if (env.ESTUARY_CONFIG) {
    throw new ConfigError(`${path}: config file not found`);
  }
  return buildConfig(file, env);
}
