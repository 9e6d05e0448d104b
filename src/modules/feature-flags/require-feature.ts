import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension, ApiForbiddenResponse } from '@nestjs/swagger';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantDirectory } from '../tenants/index.js';
import { enabledFeatures, type FeatureKey } from './feature-catalog.js';

const REQUIRED_FEATURE = 'inventory-enterprise:required-feature';

/** The route (or every route of the controller) answers 403 `feature-disabled` while the tenant has `key` off. */
export function RequireFeature(key: FeatureKey): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_FEATURE, key),
    ApiExtension('x-feature', key),
    ApiForbiddenResponse({ description: `Feature \`${key}\` is disabled for the tenant (feature-disabled)` }),
  );
}

export class FeatureDisabledException extends DomainException {
  constructor(key: FeatureKey) {
    super('feature-disabled', `The feature "${key}" is disabled for this tenant`, {
      feature: key,
    });
  }
}

/**
 * Global guard after the access guard (which has resolved the tenant and checked the permission, so a caller
 * without the permission learns nothing about the tenant's flags). Reads the tenant from the directory cache.
 */
@Injectable()
export class FeatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly context: TenantContext,
    private readonly directory: TenantDirectory,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const key = this.reflector.getAllAndOverride<FeatureKey | undefined>(REQUIRED_FEATURE, [
      execution.getHandler(),
      execution.getClass(),
    ]);
    if (key === undefined) return true;
    const tenant = await this.directory.find(this.context.tenantId);
    if (!enabledFeatures(tenant?.settings.features).has(key)) throw new FeatureDisabledException(key);
    return true;
  }
}
