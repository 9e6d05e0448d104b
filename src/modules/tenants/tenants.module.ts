import { Module } from '@nestjs/common';
import { RolesModule } from '../roles/index.js';
import { UsersModule } from '../users/index.js';
import { TenantBootstrapRepository } from './tenant-bootstrap.repository.js';
import { TenantDirectory } from './tenant-directory.service.js';
import { OwnTenantController, TenantsController } from './tenants.controller.js';
import { TenantsRepository } from './tenants.repository.js';
import { TenantsService } from './tenants.service.js';

@Module({
  imports: [RolesModule, UsersModule],
  controllers: [TenantsController, OwnTenantController],
  providers: [TenantsService, TenantsRepository, TenantDirectory, TenantBootstrapRepository],
  // TenantBootstrapRepository: TenantBootstrap is provided by the composition root (the service only, not the CLI).
  exports: [TenantsService, TenantDirectory, TenantBootstrapRepository],
})
export class TenantsModule {}
