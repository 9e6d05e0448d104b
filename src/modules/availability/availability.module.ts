import { Module } from '@nestjs/common';
import { AvailabilityController } from './availability.controller.js';
import { AvailabilityRepository } from './availability.repository.js';
import { AvailabilityService } from './availability.service.js';

/** Available-to-promise, reorder points and the replenishment report (docs/api-contract.md, "Availability"). */
@Module({
  controllers: [AvailabilityController],
  providers: [AvailabilityRepository, AvailabilityService],
})
export class AvailabilityModule {}
