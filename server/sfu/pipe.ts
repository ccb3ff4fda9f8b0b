import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';

/**
 * Copies of producers in other routers, over PipeTransport pairs on loopback: what mediasoup's
 * `router.pipeToRouter()` does, except that the copy gets a new id. mediasoup 3.15 keeps the
 * original id there, which its worker refuses when both routers live on the same worker ("Channel
 * request handler ... already exists"), and viewer routers often share the source's worker.
 * One pipe transport pair per (source, target) router pair carries every producer between them;
 * the copy follows the original's pause/resume and closes with it or with either router.
 */
export class ProducerPipes {
  private readonly pairs = new Map<string, Promise<{ local: types.PipeTransport; remote: types.PipeTransport }>>();
  private readonly copies = new Map<string, Promise<types.Producer>>();

  /** The copy of `producerId` (a producer of `source`) in `target`, created on first use. */
  copy(source: types.Router, target: types.Router, producerId: string): Promise<types.Producer> {
    const key = `${target.id}:${producerId}`;
    let pending = this.copies.get(key);
    if (!pending) {
      pending = this.create(source, target, producerId);
      this.copies.set(key, pending);
      pending.then(
        (p) => p.observer.once('close', () => this.copies.delete(key)),
        () => this.copies.delete(key),
      );
    }
    return pending;
  }

  private async create(source: types.Router, target: types.Router, producerId: string): Promise<types.Producer> {
    const { local, remote } = await this.pair(source, target);
    const pipeConsumer = await local.consume({ producerId });
    let pipeProducer: types.Producer;
    try {
      pipeProducer = await remote.produce({
        id: randomUUID(),
        kind: pipeConsumer.kind,
        rtpParameters: pipeConsumer.rtpParameters,
        paused: pipeConsumer.producerPaused,
        appData: { pipedFrom: producerId },
      });
    } catch (err) {
      pipeConsumer.close();
      throw err;
    }
    pipeConsumer.observer.once('close', () => pipeProducer.close());
    pipeProducer.observer.once('close', () => pipeConsumer.close());
    pipeConsumer.on('producerpause', () => void pipeProducer.pause().catch(() => undefined));
    pipeConsumer.on('producerresume', () => void pipeProducer.resume().catch(() => undefined));
    return pipeProducer;
  }

  private pair(source: types.Router, target: types.Router): Promise<{ local: types.PipeTransport; remote: types.PipeTransport }> {
    const key = `${source.id}>${target.id}`;
    let pending = this.pairs.get(key);
    if (!pending) {
      pending = (async () => {
        const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };
        const local = await source.createPipeTransport({ listenInfo });
        let remote: types.PipeTransport;
        try {
          remote = await target.createPipeTransport({ listenInfo });
        } catch (err) {
          local.close();
          throw err;
        }
        await local.connect({ ip: remote.tuple.localAddress, port: remote.tuple.localPort });
        await remote.connect({ ip: local.tuple.localAddress, port: local.tuple.localPort });
        const drop = (): void => {
          if (this.pairs.get(key) === pending) this.pairs.delete(key);
          local.close();
          remote.close();
        };
        local.observer.once('close', drop);
        remote.observer.once('close', drop);
        return { local, remote };
      })();
      this.pairs.set(key, pending);
      pending.catch(() => this.pairs.delete(key));
    }
    return pending;
  }
}
