/** The public surface of the roles feature: other features and the composition root import only this file. */
export * from './roles.module.js';
export * from './dto/role.dto.js';
export * from './role.entity.js';
export * from './roles.service.js';
