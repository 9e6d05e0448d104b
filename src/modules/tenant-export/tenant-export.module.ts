import { Module } from '@nestjs/common';
import { TenantExportController } from './tenant-export.controller.js';
import { TenantExportRepository } from './tenant-export.repository.js';
import { TenantExportService } from './tenant-export.service.js';

@Module({
  controllers: [TenantExportController],
  providers: [TenantExportService, TenantExportRepository],
  exports: [TenantExportService],
})
export class TenantExportModule {}
