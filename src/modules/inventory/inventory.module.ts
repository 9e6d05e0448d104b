import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/index.js';
import { InventoryController } from './inventory.controller.js';
import { InventoryQueries } from './inventory-queries.service.js';
import { InventoryRepository } from './inventory.repository.js';
import { MovementsService } from './movements.service.js';

@Module({
  imports: [AuthModule],
  controllers: [InventoryController],
  providers: [InventoryRepository, MovementsService, InventoryQueries],
})
export class InventoryModule {}
