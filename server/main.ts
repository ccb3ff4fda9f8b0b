import { loadConfig, ConfigError } from './config.js';
import { logger, setLogLevel } from './lib/logger.js';
import { startServer } from './server.js';

/** Entry point of `npm start`: load config, start the server, stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal(err.message);
      process.exit(2);
    }
    throw err;
  }
  setLogLevel(config.log.level);
  const server = await startServer(config);
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
