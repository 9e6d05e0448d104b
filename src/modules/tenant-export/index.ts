/** The public surface of the tenant-export feature: other features and the composition root import only this file. */
export * from './tenant-export.module.js';
export * from './tenant-export.service.js';
