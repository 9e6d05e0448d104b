import { Module } from '@nestjs/common';
import { RolesModule } from '../roles/index.js';
import { UsersModule } from '../users/index.js';
import { TenantDirectory } from './tenant-directory.service.js';
import { OwnTenantController, TenantsController } from './tenants.controller.js';
import { TenantsService } from './tenants.service.js';

@Module({
  imports: [RolesModule, UsersModule],
  controllers: [TenantsController, OwnTenantController],
  providers: [TenantsService, TenantDirectory],
  exports: [TenantsService, TenantDirectory],
})
export class TenantsModule {}
