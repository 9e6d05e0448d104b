import { Module } from '@nestjs/common';
import { OutboxModule } from '../../platform/outbox/outbox.module.js';
import { ItemsController } from './items.controller.js';
import { ItemsService } from './items.service.js';

@Module({ imports: [OutboxModule], controllers: [ItemsController], providers: [ItemsService] })
export class ItemsModule {}
