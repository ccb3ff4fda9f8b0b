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

/**
 * Follows every stream of the hub and bridges each RTMP/RTSP one to the SFU (one
 * StreamBridge per stream). A republished stream (also after a worker restart) is a new
 * stream and opens a new bridge, which replaces the server's old one for that path.
 */
export class BridgeObserver implements HubObserver {
  readonly #bridges = new Map<Stream, StreamBridge>();
  #closed = false;

  constructor(
    private readonly channel: BridgeChannel,
    private readonly config: BridgeConfig,
  ) {}

  get(stream: Stream): StreamBridge | undefined {
    return this.#bridges.get(stream);
  }

  onPublished(stream: Stream): void {
    if (this.#closed || stream.mirror || NOT_BRIDGED.has(stream.origin)) return;
    this.#bridges.set(stream, new StreamBridge(stream, this.channel, this.config, log));
  }

  onTracks(): void {
    // Each bridge reads track changes from its own reader.
  }

  onUnpublished(stream: Stream, reason: string): void {
    this.#bridges.get(stream)?.close(reason);
    this.#bridges.delete(stream);
  }

  close(reason: string): void {
    this.#closed = true;
    for (const b of this.#bridges.values()) b.close(reason);
    this.#bridges.clear();
  }
}

/** The bridge egress module (`bridge.enabled`). */
export const bridgeModule: GatewayModuleFactory = async ({ config, hub, channel }) => {
  const bridge = bridgeConfigSchema.parse(config.bridge ?? {});
  if (!bridge.enabled) return null;
  const observer = new BridgeObserver(channelBridge(channel), bridge);
  hub.observe(observer);
  return { name: 'bridge', close: () => observer.close('worker stopping') };
};
