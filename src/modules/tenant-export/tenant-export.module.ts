import { Module } from '@nestjs/common';
import { TenantExportController } from './tenant-export.controller.js';
import { TenantExportService } from './tenant-export.service.js';

@Module({
  controllers: [TenantExportController],
  providers: [TenantExportService],
  exports: [TenantExportService],
})
export class TenantExportModule {}
