import type { AuthorizeParams, AuthorizeResult } from '../../protocol/control/messages.js';
import type { Config } from '../config.js';
import { logger } from '../lib/logger.js';
import { callHook } from './http-callback.js';
import { decidePublish } from './publish-rules.js';
import type { StreamRegistry } from './registry.js';

const log = logger.child({ mod: 'authorize' });

/**
 * Answers the gateways' `authorizePublish` / `authorizePlay` requests: publish rules
 * (key, conflict), then the optional HTTP callbacks. Playing is open unless `onPlay` refuses.
 * Logs decisions with path and address, never the query (it may hold a key).
 */
export class Authorizer {
  readonly #config: Config;
  readonly #registry: StreamRegistry;

  constructor(config: Config, registry: StreamRegistry) {
    this.#config = config;
    this.#registry = registry;
  }

  async authorizePublish(p: AuthorizeParams): Promise<AuthorizeResult> {
    const result = await decidePublish({
      path: p.path,
      query: p.query,
      live: this.#registry.get(p.path) !== undefined,
      conflict: this.#config.publish.conflict,
      secret: this.#config.auth.secret,
    });
    if (result.allow && this.#config.publish.onPublish) {
      const refused = await callHook(this.#config.publish.onPublish, { action: 'publish', ...p });
      if (refused) return this.#log('publish', p, { allow: false, code: 'unauthorized', reason: refused });
    }
    return this.#log('publish', p, result);
  }

  async authorizePlay(p: AuthorizeParams): Promise<AuthorizeResult> {
    if (this.#config.publish.onPlay) {
      const refused = await callHook(this.#config.publish.onPlay, { action: 'play', ...p });
      if (refused) return this.#log('play', p, { allow: false, code: 'unauthorized', reason: refused });
    }
    return { allow: true, takeover: false };
  }

  #log(action: string, p: AuthorizeParams, result: AuthorizeResult): AuthorizeResult {
    if (result.allow) log.info({ action, path: p.path, remoteAddress: p.remoteAddress, takeover: result.takeover }, `${action} allowed`);
    else log.info({ action, path: p.path, remoteAddress: p.remoteAddress, code: result.code, reason: result.reason }, `${action} refused`);
    return result;
  }
}
