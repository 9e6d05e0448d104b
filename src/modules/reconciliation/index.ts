/** The public surface of the reconciliation feature: other features and the composition root import only this file. */
export * from './reconciliation.module.js';
export * from './reconciliation.service.js';
