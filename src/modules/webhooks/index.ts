/** The public surface of the webhooks feature: other features and the composition root import only this file. */
export * from './webhooks.module.js';
export * from './webhook-retention.service.js';
