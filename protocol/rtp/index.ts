export * from './header.js';
export * from './sequence.js';
export * from './header-extensions.js';
