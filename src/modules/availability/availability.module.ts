import { Module } from '@nestjs/common';
import { AvailabilityStatistics } from './availability-statistics.service.js';
import { AvailabilityController } from './availability.controller.js';
import { AvailabilityRepository } from './availability.repository.js';
import { AvailabilityService } from './availability.service.js';

/**
 * Available-to-promise, reorder points and the replenishment report (docs/api-contract.md, "Availability"), and
 * the gauges of open reservations and low keys.
 */
@Module({
  controllers: [AvailabilityController],
  providers: [AvailabilityRepository, AvailabilityService, AvailabilityStatistics],
  exports: [AvailabilityStatistics],
})
export class AvailabilityModule {}
