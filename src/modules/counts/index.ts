/** The public surface of the counts feature: other features and the composition root import only this file. */
export * from './counts.module.js';
