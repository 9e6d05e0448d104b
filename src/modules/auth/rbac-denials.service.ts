import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { RBAC_DENIED } from '../../platform/observability/metric-names.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AuthRepository } from './auth.repository.js';

export interface Denial {
  method: string;
  route: string;
  permission: string;
  ip: string | undefined;
}

/** Every permission denial: a row in rbac_audit_log (in the denied tenant), a metric and a log line. */
@Injectable()
export class RbacDenials {
  private readonly logger = new Logger('RBAC');

  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    @InjectMetric(RBAC_DENIED) private readonly denied: Counter<'permission' | 'resource' | 'action'>,
    private readonly repository: AuthRepository,
  ) {}

  async record(denial: Denial): Promise<void> {
    const [resource = denial.permission, action = ''] = denial.permission.split(':');
    this.denied.inc({ permission: denial.permission, resource, action });
    this.logger.warn(
      `denied ${denial.method} ${denial.route}: missing ${denial.permission} (tenant ${this.context.tenantId}, ` +
        `${this.context.userId ? `user ${this.context.userId}` : `api key ${this.context.apiKeyId}`})`,
    );
    await this.tx.run(() =>
      this.repository.insertDenial({
        tenantId: this.context.tenantId,
        userId: this.context.userId ?? null,
        apiKeyId: this.context.apiKeyId ?? null,
        method: denial.method,
        route: denial.route,
        permission: denial.permission,
        ip: denial.ip ?? null,
        requestId: this.context.requestId ?? null,
      }),
    );
  }
}
