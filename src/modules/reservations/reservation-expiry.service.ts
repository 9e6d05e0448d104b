import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { Environment } from '../../platform/config/environment.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { type JobOutcome, JobRunner } from '../../platform/jobs/job-runner.service.js';
import { RESERVATIONS } from '../../platform/observability/metric-names.js';
import { ReservationsRepository } from './reservations.repository.js';

/** Reservations marked per transaction: a tenant with a backlog is worked off in short transactions. */
const BATCH = 500;

export interface ExpiryReport {
  tenants: number;
  expired: number;
}

/**
 * Marks reservations past their expiresAt as expired and writes reservation.expired: a cron job from
 * RESERVATION_EXPIRY_CRON when SCHEDULERS_ENABLED, through JobRunner (one replica at a time, with metrics), and
 * the `reservations:expire` command. Their open quantity stopped counting at expiresAt already
 * (stock_availability); this records it, returns it to the positions and announces it, once per reservation
 * even if two processes run it (expire_reservations skips what another holds and what is no longer active).
 */
@Injectable()
export class ReservationExpiry implements OnApplicationBootstrap {
  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly maintenance: MaintenanceDatabase,
    private readonly reservations: ReservationsRepository,
    @InjectMetric(RESERVATIONS) private readonly events: Counter<'event'>,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule(
      'expire-reservations',
      this.config.get('RESERVATION_EXPIRY_CRON', { infer: true }),
      async () => void (await this.expire()),
    );
  }

  /** Every tenant (or the one named), batch by batch until none is left. */
  async expire(
    tenant?: string,
    onProgress: (line: string) => void = () => undefined,
  ): Promise<JobOutcome<ExpiryReport>> {
    return this.jobs.run('expire-reservations', async () => {
      const tenants = await this.maintenance.tenants(tenant);
      if (tenant !== undefined && tenants.length === 0) throw new Error(`no tenant ${tenant}`);
      let expired = 0;
      for (const { id, slug } of tenants) {
        let batch: number;
        let ofTenant = 0;
        do {
          batch = await this.maintenance.inTenant(id, (runner) =>
            this.reservations.expireBatch(runner, id, BATCH),
          );
          ofTenant += batch;
        } while (batch === BATCH);
        if (ofTenant > 0) {
          this.events.inc({ event: 'expired' }, ofTenant);
          onProgress(`${slug}: ${ofTenant} reservation(s) expired`);
        }
        expired += ofTenant;
      }
      return { tenants: tenants.length, expired };
    });
  }
}
