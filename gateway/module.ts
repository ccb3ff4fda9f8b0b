import type { WorkerConfig } from '../protocol/control/messages.js';
import type { Authorize } from './authorize.js';
import type { ControlChannel } from './channel/control-channel.js';
import type { Hub } from './hub/hub.js';
import type { StreamSource } from './relay/stream-finder.js';

/** What a gateway module (a listener, a packager) gets when the worker starts it. */
export interface GatewayContext {
  config: WorkerConfig;
  hub: Hub;
  /** Streams for viewers: this worker's hub, or relayed from the worker that carries them. */
  source: StreamSource;
  authorize: Authorize;
  /** The control channel to the server (the bridge sends `bridgeOpen`, answers `ingestOpen`). */
  channel: ControlChannel;
}

/** A started module: what it listens on (for the `ready` notification) and how to stop it. */
export interface GatewayModule {
  name: string;
  /** The bound port of a listener module. */
  port?: number;
  close(): Promise<void> | void;
}

/** Starts a module; returns null when the config disables it. */
export type GatewayModuleFactory = (ctx: GatewayContext) => Promise<GatewayModule | null>;
