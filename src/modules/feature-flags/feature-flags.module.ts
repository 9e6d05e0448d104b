import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TenantsModule } from '../tenants/index.js';
import { FeatureFlagsController } from './feature-flags.controller.js';
import { FeatureFlagsService } from './feature-flags.service.js';
import { FeatureGuard } from './require-feature.js';

/** Imported after AuthModule: its global guard runs after the access guard. */
@Module({
  imports: [TenantsModule],
  controllers: [FeatureFlagsController],
  providers: [FeatureFlagsService, { provide: APP_GUARD, useClass: FeatureGuard }],
})
export class FeatureFlagsModule {}
