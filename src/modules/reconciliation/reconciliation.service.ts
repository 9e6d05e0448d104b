import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import type { QueryRunner } from 'typeorm';
import { MaintenanceDatabase, type TenantRef } from '../../platform/database/maintenance-database.js';
import { RECONCILIATION_DRIFT_KEYS } from '../../platform/observability/metric-names.js';
import {
  type DriftRow,
  type PositionKey,
  type RunKind,
  type RunTrigger,
  ReconciliationRepository,
} from './reconciliation.repository.js';

export type { RunTrigger } from './reconciliation.repository.js';

/** Drift below this is corrected automatically; at or above it is reported (docs/design.md, "Inventory model"). */
export const AUTO_CORRECT_BELOW = '0.01';
/** Drifted keys kept in a run record and in each audit entry. */
const DETAILS_KEPT = 100;

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
  kind: RunKind;
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

interface TenantResult {
  keys: number;
  details: DriftKey[];
  /** Balance rows a backfill's rebuild changed before it verified. */
  changed?: number;
  /** Positions whose on hand was not the sum of their balances (set to it). */
  positionsCorrected: number;
}

const positionId = (key: PositionKey) => `${key.itemId}/${key.locationId}`;

/** The distinct (item, location)s of these keys. */
function uniquePositions(keys: PositionKey[]): PositionKey[] {
  return [
    ...new Map(keys.map((k) => [positionId(k), { itemId: k.itemId, locationId: k.locationId }])).values(),
  ];
}

function driftKey(tenantId: string, row: DriftRow): DriftKey {
  return {
    tenantId,
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
  };
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
    private readonly reconciliation: ReconciliationRepository,
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
    kind: RunKind,
    options: RunOptions,
    perTenant: (runner: QueryRunner, tenant: TenantRef) => Promise<TenantResult>,
  ): Promise<ReconciliationReport> {
    const started = Date.now();
    const tenants = await this.maintenance.tenants(options.tenant);
    if (options.tenant !== undefined && tenants.length === 0) throw new Error(`No tenant ${options.tenant}`);
    const runId = await this.reconciliation.startRun(
      kind,
      options.tenant === undefined ? null : tenants[0].id,
      options.trigger,
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
        const alerted = this.count(report, result);
        if (alerted.length > 0) {
          this.logger.error(
            `tenant ${tenant.slug}: ${alerted.length} balance(s) drifted by ${AUTO_CORRECT_BELOW} or more from the ledger; ` +
              `first: item ${alerted[0].itemId} at ${alerted[0].locationId}, drift ${alerted[0].drift} (run ${runId})`,
          );
        }
        options.onProgress?.(
          `[${index + 1}/${tenants.length}] ${tenant.slug}: ${result.keys} keys checked, ` +
            `${result.changed === undefined ? '' : `${result.changed} rebuilt, `}` +
            `${result.details.length} drifted (${result.details.length - alerted.length} corrected, ${alerted.length} reported), ` +
            `${result.positionsCorrected} position(s) corrected ` +
            `in ${Date.now() - tenantStarted} ms`,
        );
      }
      report.durationMs = Date.now() - started;
      // Only a run over every tenant says how many keys drift in total.
      if (options.tenant === undefined) this.driftGauge.set(report.alertedKeys);
      await this.reconciliation.finishRun(runId, 'succeeded', report, null);
      return report;
    } catch (error) {
      report.durationMs = Date.now() - started;
      await this.reconciliation.finishRun(runId, 'failed', report, (error as Error).message);
      throw error;
    }
  }

  /** Adds one tenant's result to the report; returns the tenant's reported (not corrected) keys. */
  private count(report: ReconciliationReport, result: TenantResult): DriftKey[] {
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
    return result.details.filter((drift) => drift.action === 'alerted');
  }

  private async reconcileTenant(runner: QueryRunner, tenant: TenantRef): Promise<TenantResult> {
    const compared = await this.reconciliation.compareWithLedger(runner, tenant.id, AUTO_CORRECT_BELOW);
    const details = compared.drifts.map((row) => driftKey(tenant.id, row));
    const toCorrect = details.filter((drift) => drift.action === 'corrected');
    // A position's on hand is the sum of its balances: the positions of drifted balances follow them (their
    // drift is the balances'), any other position off its balances is drift of its own, corrected and audited.
    // All of them are locked first, before any balance, as change_stock() locks them.
    const positions = uniquePositions([
      ...details,
      ...(await this.reconciliation.positionsOffBalances(runner, tenant.id)),
    ]);
    const drifted = new Set(details.map(positionId));
    const positionsOff = positions.filter((position) => !drifted.has(positionId(position)));
    if (positions.length > 0) {
      await this.reconciliation.insertMissingPositions(runner, tenant.id, positions);
      await this.reconciliation.lockPositions(runner, tenant.id, positions);
    }
    if (toCorrect.length > 0) await this.correct(runner, tenant.id, toCorrect);
    if (positions.length > 0)
      await this.reconciliation.setPositionsOnHandToBalances(runner, tenant.id, positions);
    if (positionsOff.length > 0) {
      this.logger.error(
        `tenant ${tenant.slug}: ${positionsOff.length} position(s) had an on hand other than the sum of their ` +
          `balances (corrected); first: item ${positionsOff[0].itemId} at ${positionsOff[0].locationId}`,
      );
      await this.reconciliation.insertAuditEntry(
        runner,
        tenant.id,
        'position.drift_corrected',
        { positions: positionsOff.length, first: positionsOff.slice(0, DETAILS_KEPT) },
        'inventory_position',
      );
    }
    await this.audit(runner, tenant.id, 'balance.drift_corrected', toCorrect);
    await this.audit(
      runner,
      tenant.id,
      'balance.drift_detected',
      details.filter((drift) => drift.action === 'alerted'),
    );
    return { keys: compared.keys, details, positionsCorrected: positionsOff.length };
  }

  /** One audit entry per tenant and outcome, with the first drifted keys, in the run's own transaction. */
  private async audit(
    runner: QueryRunner,
    tenantId: string,
    action: string,
    drifts: DriftKey[],
  ): Promise<void> {
    if (drifts.length === 0) return;
    await this.reconciliation.insertAuditEntry(runner, tenantId, action, {
      keys: drifts.length,
      drifts: drifts.slice(0, DETAILS_KEPT).map(({ tenantId: _tenant, ...drift }) => drift),
    });
  }

  /**
   * Lock, then recompute from the ledger in a new statement (see the class comment); the keys' positions are
   * locked already (reconcileTenant).
   */
  private async correct(runner: QueryRunner, tenantId: string, drifts: DriftKey[]): Promise<void> {
    // Missing rows first: a key without a balance row would have nothing to lock.
    await this.reconciliation.insertMissingBalances(runner, tenantId, drifts);
    await this.reconciliation.lockBalances(runner, tenantId, drifts);
    await this.reconciliation.recomputeBalances(runner, tenantId, drifts);
    await this.reconciliation.deleteEmptyBalancesWithoutLedger(runner, tenantId, drifts);
  }

  /** Every key of the ledger gets a balance row with its exact sum; balance rows without ledger rows go. */
  private async rebuildTenant(runner: QueryRunner, tenantId: string): Promise<number> {
    // Positions before any balance lock: inserting one may wait for a posting that holds its own new position
    // and wants a balance next; then every position locked, in key order, as change_stock() takes them.
    await this.reconciliation.insertPositionsForLedgerKeys(runner, tenantId);
    await this.reconciliation.lockPositions(runner, tenantId, null);
    const inserted = await this.reconciliation.insertBalancesForLedgerKeys(runner, tenantId);
    await this.reconciliation.lockTenantBalances(runner, tenantId);
    const changed = await this.reconciliation.setBalancesToLedgerSums(runner, tenantId);
    const deleted = await this.reconciliation.deleteBalancesWithoutLedger(runner, tenantId);
    await this.reconciliation.setPositionsOnHandToBalances(runner, tenantId, null);
    // Rows inserted empty and then filled are counted once, as inserted.
    return inserted + Math.max(0, changed - inserted) + deleted;
  }
}
