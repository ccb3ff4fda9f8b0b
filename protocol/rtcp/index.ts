export * from './packets.js';
export * from './nack.js';
export * from './parse.js';
export * from './build.js';
