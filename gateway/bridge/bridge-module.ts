import { bridgeConfigSchema, type BridgeConfig } from '../../protocol/control/messages.js';
import type { ControlChannel } from '../channel/control-channel.js';
import type { HubObserver } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import { logger } from '../lib/logger.js';
import type { GatewayModuleFactory } from '../module.js';
import { StreamBridge, type BridgeChannel } from './stream-bridge.js';

const log = logger.child({ mod: 'bridge' });

/** Origins never bridged back to the SFU: they came from it (room, WHIP) or are another worker's copy (relay). */
const NOT_BRIDGED = new Set(['room', 'whip', 'relay']);

/** The bridge's view of the control channel. */
export function channelBridge(channel: ControlChannel): BridgeChannel {
  return {
    open: (params) => channel.request('bridgeOpen', params),
    closed: (path, reason) => channel.notify('bridgeClosed', { path, reason }),
    status: (path, webrtc) => channel.notify('bridgeStatus', { path, webrtc }),
  };
}

/** A `bridgeStart` for a path this worker does not carry (the error's code is the response's). */
export class BridgeNotFoundError extends Error {
  override name = 'BridgeNotFoundError';
  readonly code = 'not_found';
}

/**
 * Follows every stream of the hub and bridges RTMP/RTSP ones to the SFU (one StreamBridge per
 * stream): each at once (`bridge.mode: always`), or only between the server's `bridgeStart`
 * and `bridgeStop` (`on-demand`: while it has WebRTC viewers, so the AAC→Opus child runs only
 * then). A republished stream (also after a worker restart) is a new stream; a new bridge of
 * it replaces the server's old one for that path.
 */
export class BridgeObserver implements HubObserver {
  readonly #bridges = new Map<Stream, StreamBridge>();
  /** Bridgeable live streams by path (the newest publish of a path wins). */
  readonly #streams = new Map<string, Stream>();
  #closed = false;

  constructor(
    private readonly channel: BridgeChannel,
    private readonly config: BridgeConfig,
  ) {}

  get(stream: Stream): StreamBridge | undefined {
    return this.#bridges.get(stream);
  }

  /** The bridge of the live stream at `path`, if one runs. */
  bridgeOf(path: string): StreamBridge | undefined {
    const stream = this.#streams.get(path);
    return stream ? this.#bridges.get(stream) : undefined;
  }

  onPublished(stream: Stream): void {
    if (this.#closed || stream.mirror || NOT_BRIDGED.has(stream.origin)) return;
    this.#streams.set(stream.path, stream);
    if (this.config.mode === 'always') this.#bridge(stream);
  }

  /** `bridgeStart`: bridges the stream at `path` (if not yet) and resolves once it is open. */
  start(path: string): Promise<void> {
    const stream = this.#streams.get(path);
    if (this.#closed || !stream) return Promise.reject(new BridgeNotFoundError(`${path} is not a bridgeable stream of this worker`));
    return (this.#bridges.get(stream) ?? this.#bridge(stream)).whenOpen();
  }

  /** `bridgeStop`: ends the bridge of `path` (it sends `bridgeClosed`). */
  stop(path: string, reason: string): void {
    const stream = this.#streams.get(path);
    if (!stream) return;
    this.#bridges.get(stream)?.close(reason);
    this.#bridges.delete(stream);
  }

  #bridge(stream: Stream): StreamBridge {
    const bridge = new StreamBridge(stream, this.channel, this.config, log);
    this.#bridges.set(stream, bridge);
    return bridge;
  }

  onTracks(): void {
    // Each bridge reads track changes from its own reader.
  }

  onUnpublished(stream: Stream, reason: string): void {
    this.#bridges.get(stream)?.close(reason);
    this.#bridges.delete(stream);
    if (this.#streams.get(stream.path) === stream) this.#streams.delete(stream.path);
  }

  close(reason: string): void {
    this.#closed = true;
    for (const b of this.#bridges.values()) b.close(reason);
    this.#bridges.clear();
    this.#streams.clear();
  }
}

/** The bridge egress module (`bridge.enabled`). */
export const bridgeModule: GatewayModuleFactory = async ({ config, hub, channel }) => {
  const bridge = bridgeConfigSchema.parse(config.bridge ?? {});
  if (!bridge.enabled) return null;
  const observer = new BridgeObserver(channelBridge(channel), bridge);
  hub.observe(observer);
  channel.onRequest(['bridgeStart'], async (req) => {
    await observer.start(req.params.path);
    return { path: req.params.path };
  });
  channel.onNotification((n) => {
    if (n.method === 'bridgeStop') observer.stop(n.params.path, n.params.reason);
  });
  return { name: 'bridge', close: () => observer.close('worker stopping') };
};
