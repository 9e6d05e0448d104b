/** The public surface of the auth feature: other features and the composition root import only this file. */
export * from './auth.module.js';
export * from './rbac-denials.service.js';
export * from './access.guard.js';
export * from './request-throttle.guard.js';
