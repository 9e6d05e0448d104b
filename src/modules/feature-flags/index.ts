/** The public surface of the feature-flags feature: other features and the composition root import only this file. */
export * from './feature-flags.module.js';
export * from './require-feature.js';
