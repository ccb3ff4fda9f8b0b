import type { Handlers } from '../request.js';
import { closeProducer } from './closeProducer.js';
import { connectTransport } from './connectTransport.js';
import { consume } from './consume.js';
import { createTransport } from './createTransport.js';
import { join } from './join.js';
import { leave } from './leave.js';
import { pauseConsumer } from './pauseConsumer.js';
import { setConsumerPreferredLayers } from './setConsumerPreferredLayers.js';
import { pauseProducer } from './pauseProducer.js';
import { produce } from './produce.js';
import { restartIce } from './restartIce.js';
import { resumeConsumer } from './resumeConsumer.js';
import { resumeProducer } from './resumeProducer.js';

/** The signaling handlers, one per request. */
export const handlers: Handlers = {
  join,
  createTransport,
  connectTransport,
  restartIce,
  produce,
  consume,
  resumeConsumer,
  pauseConsumer,
  setConsumerPreferredLayers,
  pauseProducer,
  resumeProducer,
  closeProducer,
  leave,
};
