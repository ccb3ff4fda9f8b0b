/* eslint-disable */
export function parsePublishOffer(..._a: any[]): any { throw new Error('not yet'); }
export function parseViewOffer(..._a: any[]): any { throw new Error('not yet'); }
export function buildPublishAnswer(..._a: any[]): any { throw new Error('not yet'); }
export function buildViewAnswer(..._a: any[]): any { throw new Error('not yet'); }
