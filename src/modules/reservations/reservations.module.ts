import { Module } from '@nestjs/common';
import { ReservationExpiry } from './reservation-expiry.service.js';
import { ReservationsController } from './reservations.controller.js';
import { ReservationsRepository } from './reservations.repository.js';
import { ReservationsService } from './reservations.service.js';

/**
 * Reservations of stock for orders (docs/api-contract.md, "Availability"): create, read, change expiry, release,
 * and the expiry job (MaintenanceDatabase and JobRunner come from the global JobsModule).
 */
@Module({
  controllers: [ReservationsController],
  providers: [ReservationsRepository, ReservationsService, ReservationExpiry],
  exports: [ReservationsService, ReservationExpiry],
})
export class ReservationsModule {}
