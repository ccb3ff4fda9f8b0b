import type { WorkerConfig } from '../protocol/control/messages.js';
import type { Authorize } from './authorize.js';
import { ControlChannel, processTransport } from './channel/control-channel.js';
import { StreamReporter } from './channel/stream-reporter.js';
import { Hub } from './hub/hub.js';
import { logger, setLogLevel } from './lib/logger.js';
import type { GatewayModule } from './module.js';
import { EGRESS_MODULES, INGEST_MODULES } from './modules.js';
import { StreamFinder } from './relay/stream-finder.js';

/** Time the worker gives its modules to close on shutdown before it exits anyway. */
export const SHUTDOWN_TIMEOUT_MS = 2_000;

const log = logger.child({ mod: 'worker' });

/**
 * The gateway worker's entry (forked by the server's supervisor with an IPC channel): waits
 * for its config, starts the hub, the ingest and egress modules and the stats reporter, tells
 * the server it is ready, and runs until SIGTERM or until the server goes away.
 */
function main(): void {
  const channel = new ControlChannel(processTransport());
  const hub = new Hub();
  const source = new StreamFinder({ hub, locate: async (path) => (await channel.request('locateStream', { path })).url, log: logger.child({ mod: 'relay' }) });
  const modules: GatewayModule[] = [];
  let reporter: StreamReporter | null = null;
  let started = false;
  let stopping = false;

  const authorize: Authorize = {
    publish: (p) => channel.request('authorizePublish', p),
    play: (p) => channel.request('authorizePlay', p),
  };

  const start = async (config: WorkerConfig): Promise<void> => {
    setLogLevel(config.logLevel);
    logger.setBindings({ worker: config.workerId });
    reporter = new StreamReporter(channel, hub, config.statsIntervalMs);
    hub.observe(reporter);
    const ctx = { config, hub, source, authorize, channel };
    for (const factory of [...INGEST_MODULES, ...EGRESS_MODULES]) {
      const m = await factory(ctx);
      if (m) modules.push(m);
    }
    const portOf = (name: string): number | null => modules.find((m) => m.name === name)?.port ?? null;
    channel.notify('ready', { pid: process.pid, rtmpPort: portOf('rtmp'), flvPort: portOf('flv'), relayPort: portOf('relay') });
  };

  const stop = (reason: string, code: number): void => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'worker stopping');
    setTimeout(() => process.exit(code), SHUTDOWN_TIMEOUT_MS).unref();
    reporter?.close();
    source.close();
    hub.close(reason);
    void Promise.allSettled(modules.reverse().map((m) => m.close())).then(() => {
      channel.close();
      process.exit(code);
    });
  };

  channel.onNotification((n) => {
    switch (n.method) {
      case 'config':
        if (started) return;
        started = true;
        start(n.params).catch((err: unknown) => {
          log.fatal({ err }, 'worker failed to start');
          stop('start failed', 1);
        });
        return;
      case 'kickStream':
        hub.kick(n.params.path, n.params.reason);
        return;
    }
  });
  channel.onClose(() => stop('control channel closed', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => {
    // The server handles Ctrl-C and stops workers itself.
  });
  channel.notify('hello', { pid: process.pid });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
}

main();
