/** The public surface of the items feature: other features and the composition root import only this file. */
export * from './items.module.js';
export * from './item.entity.js';
export * from './items.service.js';
export { likePattern } from './items.repository.js';
