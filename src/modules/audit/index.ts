/** The public surface of the audit feature: other features and the composition root import only this file. */
export * from './audit.module.js';
export * from './audit-retention.service.js';
export * from './audit.service.js';
