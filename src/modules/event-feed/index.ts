/** The public surface of the event-feed feature: other features and the composition root import only this file. */
export * from './event-feed.module.js';
export * from './event-feed-retention.service.js';
