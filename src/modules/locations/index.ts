/** The public surface of the locations feature: other features and the composition root import only this file. */
export * from './locations.module.js';
export * from './location.entity.js';
