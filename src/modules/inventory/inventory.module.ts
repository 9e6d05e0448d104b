import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/index.js';
import { InventoryController } from './inventory.controller.js';
import { InventoryQueries } from './inventory-queries.service.js';
import { InventorySchedules } from './inventory-schedules.service.js';
import { ReconciliationService } from './reconciliation.service.js';
import { MovementsService } from './movements.service.js';

@Module({
  imports: [AuthModule],
  controllers: [InventoryController],
  providers: [MovementsService, InventoryQueries, ReconciliationService, InventorySchedules],
  exports: [ReconciliationService, InventorySchedules],
})
export class InventoryModule {}
