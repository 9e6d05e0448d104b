/** The public surface of the tenants feature: other features and the composition root import only this file. */
export * from './tenants.module.js';
export * from './dto/tenant.dto.js';
export * from './tenant-bootstrap.service.js';
export * from './tenant-directory.service.js';
export * from './tenant.entity.js';
export * from './tenants.service.js';
