import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/index.js';
import { FeatureFlagsController } from './feature-flags.controller.js';
import { FeatureFlagsRepository } from './feature-flags.repository.js';
import { FeatureFlagsService } from './feature-flags.service.js';
import { FeatureGuard } from './require-feature.js';

/** Feature flags; its FeatureGuard is installed, after the access guard, by src/request-pipeline.module.ts. */
@Module({
  imports: [TenantsModule],
  controllers: [FeatureFlagsController],
  providers: [FeatureFlagsService, FeatureFlagsRepository, FeatureGuard],
  exports: [FeatureGuard],
})
export class FeatureFlagsModule {}
