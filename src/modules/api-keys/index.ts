/** The public surface of the api-keys feature: other features and the composition root import only this file. */
export * from './api-keys.module.js';
export * from './api-key-format.js';
export * from './api-key.entity.js';
export { ApiKeysService } from './api-keys.service.js';
