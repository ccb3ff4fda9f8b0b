export * from './session-description.js';
export * from './attributes.js';
