import type { types } from 'mediasoup';

/**
 * Calls `onChange(+1)` for every producer, consumer, data producer and data consumer created on
 * `router` and `onChange(-1)` when it closes: the load figure worker placement balances
 * (mediasoup's observer API; a router closing closes them all, so the sum returns to zero).
 */
export function trackLoad(router: types.Router, onChange: (delta: number) => void): void {
  const count = (child: { observer: { once(event: 'close', fn: () => void): unknown } }): void => {
    onChange(1);
    child.observer.once('close', () => onChange(-1));
  };
  router.observer.on('newtransport', (transport) => {
    transport.observer.on('newproducer', count);
    transport.observer.on('newconsumer', count);
    transport.observer.on('newdataproducer', count);
    transport.observer.on('newdataconsumer', count);
  });
}

/**
 * Calls `onProducer` for every producer created on any transport of `router` from now on
 * (mediasoup routers do not list their producers; rooms and the bridge follow them this way).
 */
export function onNewProducer(router: types.Router, onProducer: (producer: types.Producer) => void): void {
  router.observer.on('newtransport', (transport) => transport.observer.on('newproducer', onProducer));
}
