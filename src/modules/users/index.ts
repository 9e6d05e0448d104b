/** The public surface of the users feature: other features and the composition root import only this file. */
export * from './users.module.js';
export * from './dto/user.dto.js';
export * from './password-hasher.js';
export * from './user.entity.js';
export * from './users.service.js';
