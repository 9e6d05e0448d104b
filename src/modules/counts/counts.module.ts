import { Module } from '@nestjs/common';
import { CountsController } from './counts.controller.js';
import { CountsRepository } from './counts.repository.js';
import { CountsService } from './counts.service.js';

@Module({ controllers: [CountsController], providers: [CountsService, CountsRepository] })
export class CountsModule {}
