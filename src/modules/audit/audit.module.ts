import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditRetention } from './audit-retention.service.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

/** Global: every module that changes data may name an audit action or record an event. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditRetention, AuditRepository],
  exports: [AuditService, AuditRetention],
})
export class AuditModule {}
