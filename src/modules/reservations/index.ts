/** The public surface of the reservations feature: other features and the composition root import only this file. */
export * from './reservations.module.js';
export * from './dto/reservation.dto.js';
export * from './reservation-expiry.service.js';
