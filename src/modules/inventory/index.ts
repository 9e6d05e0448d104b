/** The public surface of the inventory feature: other features and the composition root import only this file. */
export * from './inventory.module.js';
export * from './dto/movement.dto.js';
