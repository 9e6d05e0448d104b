/** The public surface of the availability feature: other features and the composition root import only this file. */
export * from './availability.module.js';
export * from './availability-statistics.service.js';
