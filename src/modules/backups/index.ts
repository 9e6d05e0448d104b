/** The public surface of the backups feature: other features and the composition root import only this file. */
export * from './backups.module.js';
export * from './backup-catalogue.js';
export * from './backup-jobs.service.js';
export * from './backup-monitor.service.js';
export * from './backup-verifier.service.js';
export * from './pg-connection.js';
