import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import type { QueryRunner } from 'typeorm';
import { MaintenanceDatabase, type TenantRef } from '../../platform/database/maintenance-database.js';
import { RECONCILIATION_DRIFT_KEYS } from '../../platform/observability/metric-names.js';

/** Drift below this is corrected automatically; at or above it is reported (docs/design.md, "Inventory model"). */
export const AUTO_CORRECT_BELOW = '0.01';
const NO_LOT = '00000000-0000-0000-0000-000000000000';
const DETAILS_KEPT = 100;

export type RunTrigger = 'cron' | 'cli' | 'test';

export interface DriftKey {
  tenantId: string;
  itemId: string;
  locationId: string;
  lotId: string | null;
  ledgerQty: string | null;
  balanceQty: string | null;
  drift: string;
  kind: 'mismatch' | 'missing-balance' | 'orphaned-balance';
  action: 'corrected' | 'alerted';
}

export interface ReconciliationReport {
  runId: string;
  kind: 'reconcile' | 'backfill';
  tenantsChecked: number;
  keysChecked: number;
  driftKeys: number;
  correctedKeys: number;
  alertedKeys: number;
  orphanedKeys: number;
  missingKeys: number;
  durationMs: number;
  details: DriftKey[];
}

export interface RunOptions {
  /** One tenant by id or slug; default every tenant. */
  tenant?: string;
  trigger: RunTrigger;
  onProgress?: (line: string) => void;
}

interface ComparedRow {
  keys: string;
  drifts: Array<{
    balance_id: string | null;
    item_id: string;
    location_id: string;
    lot_id: string | null;
    ledger_qty: string | null;
    balance_qty: string | null;
    drift: string;
    small: boolean;
  }>;
}

/**
 * Compares every balance with the sum of its ledger rows in set-based SQL, per tenant, on the maintenance
 * connection. Small drift (< 0.01) is corrected; larger drift is reported (error log, metric, run record).
 * Corrections lock the balance rows first and recompute the sums in a new statement, so a movement posted
 * concurrently is neither lost nor counted twice: it either committed before the lock (and is in the sum) or
 * waits for the lock and adds its delta afterwards (the trigger adds, it never overwrites).
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger('Reconciliation');

  constructor(
    private readonly maintenance: MaintenanceDatabase,
    @InjectMetric(RECONCILIATION_DRIFT_KEYS) private readonly driftGauge: Gauge,
  ) {}

  reconcile(options: RunOptions): Promise<ReconciliationReport> {
    return this.run('reconcile', options, (runner, tenant) => this.reconcileTenant(runner, tenant));
  }

  /** Rebuilds every balance of the tenant(s) from the ledger (idempotent), then verifies: zero drift expected. */
  backfill(options: RunOptions): Promise<ReconciliationReport> {
    return this.run('backfill', options, async (runner, tenant) => {
      const changed = await this.rebuildTenant(runner, tenant.id);
      return { ...(await this.reconcileTenant(runner, tenant)), changed };
    });
  }

  private async run(
    kind: 'reconcile' | 'backfill',
    options: RunOptions,
    perTenant: (
      runner: QueryRunner,
      tenant: TenantRef,
    ) => Promise<{ keys: number; details: DriftKey[]; changed?: number }>,
  ): Promise<ReconciliationReport> {
    const started = Date.now();
    const tenants = await this.maintenance.tenants(options.tenant);
    if (options.tenant !== undefined && tenants.length === 0) throw new Error(`No tenant ${options.tenant}`);
    const [{ id: runId }] = await this.maintenance.owner.query<[{ id: string }]>(
      `insert into reconciliation_runs (kind, scope_tenant, trigger, status) values ($1, $2, $3, 'running') returning id`,
      [kind, options.tenant === undefined ? null : tenants[0].id, options.trigger],
    );
    const report: ReconciliationReport = {
      runId,
      kind,
      tenantsChecked: 0,
      keysChecked: 0,
      driftKeys: 0,
      correctedKeys: 0,
      alertedKeys: 0,
      orphanedKeys: 0,
      missingKeys: 0,
      durationMs: 0,
      details: [],
    };
    try {
      for (const [index, tenant] of tenants.entries()) {
        const tenantStarted = Date.now();
        const result = await this.maintenance.inTenant(tenant.id, (runner) => perTenant(runner, tenant));
        report.tenantsChecked += 1;
        report.keysChecked += result.keys;
        // A backfill's rebuild corrects before it verifies: count the balance rows it changed.
        report.correctedKeys += result.changed ?? 0;
        for (const drift of result.details) {
          report.driftKeys += 1;
          if (drift.action === 'corrected') report.correctedKeys += 1;
          else report.alertedKeys += 1;
          if (drift.kind === 'orphaned-balance') report.orphanedKeys += 1;
          if (drift.kind === 'missing-balance') report.missingKeys += 1;
          if (report.details.length < DETAILS_KEPT) report.details.push(drift);
        }
        const alerted = result.details.filter((drift) => drift.action === 'alerted');
        if (alerted.length > 0) {
          this.logger.error(
            `tenant ${tenant.slug}: ${alerted.length} balance(s) drifted by ${AUTO_CORRECT_BELOW} or more from the ledger; ` +
              `first: item ${alerted[0].itemId} at ${alerted[0].locationId}, drift ${alerted[0].drift} (run ${runId})`,
          );
        }
        options.onProgress?.(
          `[${index + 1}/${tenants.length}] ${tenant.slug}: ${result.keys} keys checked, ` +
            `${result.changed === undefined ? '' : `${result.changed} rebuilt, `}` +
            `${result.details.length} drifted (${result.details.length - alerted.length} corrected, ${alerted.length} reported) ` +
            `in ${Date.now() - tenantStarted} ms`,
        );
      }
      report.durationMs = Date.now() - started;
      if (options.tenant === undefined) this.driftGauge.set(report.alertedKeys);
      await this.finish(runId, 'succeeded', report);
      return report;
    } catch (error) {
      report.durationMs = Date.now() - started;
      await this.finish(runId, 'failed', report, (error as Error).message);
      throw error;
    }
  }

  private async finish(
    runId: string,
    status: 'succeeded' | 'failed',
    report: ReconciliationReport,
    error?: string,
  ): Promise<void> {
    await this.maintenance.owner.query(
      `update reconciliation_runs
          set status = $2, finished_at = now(), duration_ms = $3, tenants_checked = $4, keys_checked = $5,
              drift_keys = $6, corrected_keys = $7, alerted_keys = $8, orphaned_keys = $9, missing_keys = $10,
              details = $11::jsonb, error = $12
        where id = $1`,
      [
        runId,
        status,
        report.durationMs,
        report.tenantsChecked,
        report.keysChecked,
        report.driftKeys,
        report.correctedKeys,
        report.alertedKeys,
        report.orphanedKeys,
        report.missingKeys,
        JSON.stringify(report.details),
        error ?? null,
      ],
    );
  }

  private async reconcileTenant(
    runner: QueryRunner,
    tenant: TenantRef,
  ): Promise<{ keys: number; details: DriftKey[] }> {
    const [compared] = (await runner.query(
      `with ledger as (
         select item_id, location_id, lot_id, sum(qty_base) as qty
           from inventory_ledger where tenant_id = $1 group by item_id, location_id, lot_id
       ), balances as (
         select id, item_id, location_id, lot_id, qty from inventory_balances where tenant_id = $1
       ), compared as materialized (
         select b.id as balance_id, coalesce(l.item_id, b.item_id) as item_id,
                coalesce(l.location_id, b.location_id) as location_id, coalesce(l.lot_id, b.lot_id) as lot_id,
                l.qty as ledger_qty, b.qty as balance_qty
           from ledger l
           full join balances b
             on b.item_id = l.item_id and b.location_id = l.location_id
            and coalesce(b.lot_id, '${NO_LOT}') = coalesce(l.lot_id, '${NO_LOT}')
       )
       select (select count(*) from compared)::text as keys,
              coalesce((select jsonb_agg(jsonb_build_object(
                  'balance_id', balance_id::text, 'item_id', item_id, 'location_id', location_id, 'lot_id', lot_id,
                  'ledger_qty', trim_scale(ledger_qty)::text, 'balance_qty', trim_scale(balance_qty)::text,
                  'drift', trim_scale(coalesce(balance_qty, 0) - coalesce(ledger_qty, 0))::text,
                  'small', abs(coalesce(balance_qty, 0) - coalesce(ledger_qty, 0)) < ${AUTO_CORRECT_BELOW}))
                from compared where ledger_qty is distinct from balance_qty), '[]'::jsonb) as drifts`,
      [tenant.id],
    )) as [ComparedRow];

    const details: DriftKey[] = compared.drifts.map((row) => ({
      tenantId: tenant.id,
      itemId: row.item_id,
      locationId: row.location_id,
      lotId: row.lot_id,
      ledgerQty: row.ledger_qty,
      balanceQty: row.balance_qty,
      drift: row.drift,
      kind:
        row.balance_qty === null
          ? 'missing-balance'
          : row.ledger_qty === null
            ? 'orphaned-balance'
            : 'mismatch',
      action: row.small ? 'corrected' : 'alerted',
    }));
    const toCorrect = details.filter((drift) => drift.action === 'corrected');
    if (toCorrect.length > 0) await this.correct(runner, tenant.id, toCorrect);
    await this.audit(runner, tenant.id, 'balance.drift_corrected', toCorrect);
    await this.audit(
      runner,
      tenant.id,
      'balance.drift_detected',
      details.filter((drift) => drift.action === 'alerted'),
    );
    return { keys: Number(compared.keys), details };
  }

  /** One audit entry per tenant and outcome, with the first drifted keys, in the run's own transaction. */
  private async audit(
    runner: QueryRunner,
    tenantId: string,
    action: string,
    drifts: DriftKey[],
  ): Promise<void> {
    if (drifts.length === 0) return;
    await runner.query(
      `insert into audit_logs (tenant_id, actor_kind, actor_name, action, entity_type, after)
       values ($1, 'system', 'reconciliation', $2, 'inventory_balance', $3::jsonb)`,
      [
        tenantId,
        action,
        JSON.stringify({
          keys: drifts.length,
          drifts: drifts.slice(0, DETAILS_KEPT).map(({ tenantId: _tenant, ...drift }) => drift),
        }),
      ],
    );
  }

  /** Lock, then recompute from the ledger in a new statement (see the class comment). */
  private async correct(runner: QueryRunner, tenantId: string, drifts: DriftKey[]): Promise<void> {
    const keys = JSON.stringify(
      drifts.map((d) => ({ item_id: d.itemId, location_id: d.locationId, lot_id: d.lotId })),
    );
    const keysSql = `select * from jsonb_to_recordset($2::jsonb) as k (item_id uuid, location_id uuid, lot_id uuid)`;
    await runner.query(
      `insert into inventory_balances (tenant_id, item_id, location_id, lot_id, qty, last_ledger_id, updated_at)
       select $1, k.item_id, k.location_id, k.lot_id, 0, 0, now() from (${keysSql}) k
       on conflict on constraint inventory_balances_key do nothing`,
      [tenantId, keys],
    );
    await runner.query(
      `select b.id from inventory_balances b join (${keysSql}) k
          on b.item_id = k.item_id and b.location_id = k.location_id and b.lot_id is not distinct from k.lot_id
        where b.tenant_id = $1 order by b.id for update of b`,
      [tenantId, keys],
    );
    await runner.query(
      `update inventory_balances b
          set qty = coalesce(s.qty, 0), last_ledger_id = coalesce(s.last_id, b.last_ledger_id), updated_at = now()
         from (${keysSql}) k
         left join lateral (
           select sum(l.qty_base) as qty, max(l.id) as last_id from inventory_ledger l
            where l.tenant_id = $1 and l.item_id = k.item_id and l.location_id = k.location_id
              and l.lot_id is not distinct from k.lot_id
         ) s on true
        where b.tenant_id = $1 and b.item_id = k.item_id and b.location_id = k.location_id
          and b.lot_id is not distinct from k.lot_id`,
      [tenantId, keys],
    );
    await runner.query(
      `delete from inventory_balances b using (${keysSql}) k
        where b.tenant_id = $1 and b.item_id = k.item_id and b.location_id = k.location_id
          and b.lot_id is not distinct from k.lot_id and b.qty = 0
          and not exists (select 1 from inventory_ledger l
                           where l.tenant_id = $1 and l.item_id = b.item_id and l.location_id = b.location_id
                             and l.lot_id is not distinct from b.lot_id)`,
      [tenantId, keys],
    );
  }

  /** Every key of the ledger gets a balance row with its exact sum; balance rows without ledger rows go. */
  private async rebuildTenant(runner: QueryRunner, tenantId: string): Promise<number> {
    const inserted = (await runner.query(
      `insert into inventory_balances (tenant_id, item_id, location_id, lot_id, qty, last_ledger_id, updated_at)
       select distinct $1::uuid, item_id, location_id, lot_id, 0::numeric, 0::bigint, now()
         from inventory_ledger where tenant_id = $1
       on conflict on constraint inventory_balances_key do nothing
       returning 1`,
      [tenantId],
    )) as unknown[];
    await runner.query(`select id from inventory_balances where tenant_id = $1 order by id for update`, [
      tenantId,
    ]);
    const [updated] = (await runner.query(
      `with sums as (
         select item_id, location_id, lot_id, sum(qty_base) as qty, max(id) as last_id
           from inventory_ledger where tenant_id = $1 group by item_id, location_id, lot_id
       )
       update inventory_balances b set qty = s.qty, last_ledger_id = s.last_id, updated_at = now()
         from sums s
        where b.tenant_id = $1 and b.item_id = s.item_id and b.location_id = s.location_id
          and coalesce(b.lot_id, '${NO_LOT}') = coalesce(s.lot_id, '${NO_LOT}')
          and (b.qty <> s.qty or b.last_ledger_id <> s.last_id)
       returning b.qty <> s.qty as changed`,
      [tenantId],
    )) as [Array<{ changed: boolean }>, number];
    const [deleted] = (await runner.query(
      `delete from inventory_balances b
        where b.tenant_id = $1
          and not exists (select 1 from inventory_ledger l
                           where l.tenant_id = $1 and l.item_id = b.item_id and l.location_id = b.location_id
                             and l.lot_id is not distinct from b.lot_id)
       returning 1`,
      [tenantId],
    )) as [unknown[], number];
    // Rows inserted empty and then filled are counted once, as inserted.
    const filledAfterInsert = inserted.length;
    return (
      inserted.length +
      Math.max(0, updated.filter((row) => row.changed).length - filledAfterInsert) +
      deleted.length
    );
  }
}
