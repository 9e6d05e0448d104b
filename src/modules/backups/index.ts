/** The public surface of the backups feature: other features and the composition root import only this file. */
export * from './backups.module.js';
export type { BackupRecord } from './backup-catalogue.repository.js';
export * from './backup-exceptions.js';
export * from './backup.presenter.js';
export * from './backup-jobs.service.js';
export * from './backup-monitor.service.js';
export * from './backup-verifier.service.js';
export * from './pg-connection.js';
