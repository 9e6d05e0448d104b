import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';

/** Stands in for a missing lot, so that keys without a lot match in joins on coalesce(lot_id, ...). */
const NO_LOT = '00000000-0000-0000-0000-000000000000';

/** The keys of $2 (a JSON array, see encodeKeys()) as rows. */
const KEYS_SQL = `select * from jsonb_to_recordset($2::jsonb) as k (item_id uuid, location_id uuid, lot_id uuid)`;

/** One balance key whose balance differs from its ledger sum (quantities as trimmed text; null: no such row). */
export interface DriftRow {
  balance_id: string | null;
  item_id: string;
  location_id: string;
  lot_id: string | null;
  ledger_qty: string | null;
  balance_qty: string | null;
  /** balance - ledger */
  drift: string;
  /** |drift| is below the threshold the caller gave. */
  small: boolean;
}

export interface BalanceComparison {
  /** Keys of the tenant, in the ledger or in the balances. */
  keys: number;
  drifts: DriftRow[];
}

export interface BalanceKey {
  itemId: string;
  locationId: string;
  lotId: string | null;
}

/** A position: availability's row per (item, location), whose on hand is the sum of its balances. */
export interface PositionKey {
  itemId: string;
  locationId: string;
}

export type RunKind = 'reconcile' | 'backfill';
export type RunTrigger = 'cron' | 'cli' | 'test';

/** What a reconciliation_runs row records when its run ends. */
export interface RunTotals {
  durationMs: number;
  tenantsChecked: number;
  keysChecked: number;
  driftKeys: number;
  correctedKeys: number;
  alertedKeys: number;
  orphanedKeys: number;
  missingKeys: number;
  details: unknown[];
}

/** The positions of $2 (a JSON array, see encodePositions()) as rows. */
const POSITIONS_SQL = `select * from jsonb_to_recordset($2::jsonb) as k (item_id uuid, location_id uuid)`;

function encodePositions(positions: PositionKey[]): string {
  return JSON.stringify(positions.map((k) => ({ item_id: k.itemId, location_id: k.locationId })));
}

function encodeKeys(keys: BalanceKey[]): string {
  return JSON.stringify(keys.map((k) => ({ item_id: k.itemId, location_id: k.locationId, lot_id: k.lotId })));
}

/**
 * The reconciliation's statements, on the owner connection: the reconciliation_runs rows on its pool, the work
 * on one tenant on the runner of that tenant's transaction (MaintenanceDatabase.inTenant), which the caller holds.
 */
@Injectable()
export class ReconciliationRepository {
  constructor(private readonly maintenance: MaintenanceDatabase) {}

  async startRun(kind: RunKind, scopeTenantId: string | null, trigger: RunTrigger): Promise<string> {
    const [{ id }] = await this.maintenance.owner.query<[{ id: string }]>(
      `insert into reconciliation_runs (kind, scope_tenant, trigger, status) values ($1, $2, $3, 'running') returning id`,
      [kind, scopeTenantId, trigger],
    );
    return id;
  }

  async finishRun(
    runId: string,
    status: 'succeeded' | 'failed',
    totals: RunTotals,
    error: string | null,
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
        totals.durationMs,
        totals.tenantsChecked,
        totals.keysChecked,
        totals.driftKeys,
        totals.correctedKeys,
        totals.alertedKeys,
        totals.orphanedKeys,
        totals.missingKeys,
        JSON.stringify(totals.details),
        error,
      ],
    );
  }

  /**
   * Every balance against the sum of its ledger rows, set-based in one statement (a full join, so keys with only
   * ledger rows or only a balance row show too); returns the number of keys and those that differ.
   */
  async compareWithLedger(
    runner: QueryRunner,
    tenantId: string,
    smallBelow: string,
  ): Promise<BalanceComparison> {
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
                  'small', abs(coalesce(balance_qty, 0) - coalesce(ledger_qty, 0)) < $2::numeric))
                from compared where ledger_qty is distinct from balance_qty), '[]'::jsonb) as drifts`,
      [tenantId, smallBelow],
    )) as [{ keys: string; drifts: DriftRow[] }];
    return { keys: Number(compared.keys), drifts: compared.drifts };
  }

  /**
   * The positions whose on hand is not the sum of their balances (change_stock() keeps it), with the
   * (item, location)s of balances that have no position; read without locks.
   */
  async positionsOffBalances(runner: QueryRunner, tenantId: string): Promise<PositionKey[]> {
    return (await runner.query(
      `select coalesce(p.item_id, s.item_id) as "itemId", coalesce(p.location_id, s.location_id) as "locationId"
         from (select item_id, location_id, on_hand from inventory_positions where tenant_id = $1) p
         full join (select item_id, location_id, sum(qty) as qty from inventory_balances
                     where tenant_id = $1 group by item_id, location_id) s
           on s.item_id = p.item_id and s.location_id = p.location_id
        where p.item_id is null or p.on_hand <> coalesce(s.qty, 0)
        order by 1, 2`,
      [tenantId],
    )) as PositionKey[];
  }

  /** A position for each of these (item, location)s without one (see insertPositionsForLedgerKeys). */
  async insertMissingPositions(
    runner: QueryRunner,
    tenantId: string,
    positions: PositionKey[],
  ): Promise<void> {
    await runner.query(
      `insert into inventory_positions (tenant_id, item_id, location_id)
       select distinct $1::uuid, k.item_id, k.location_id from (${POSITIONS_SQL}) k
       on conflict do nothing`,
      [tenantId, encodePositions(positions)],
    );
  }

  /**
   * Locks these positions (all of the tenant's with null) until commit, in key order: the order in which
   * change_stock() takes them, and before any balance, as it does, so that no posting and no correction wait for
   * each other in a cycle.
   */
  async lockPositions(runner: QueryRunner, tenantId: string, positions: PositionKey[] | null): Promise<void> {
    await runner.query(
      positions === null
        ? `select 1 from inventory_positions where tenant_id = $1 order by item_id, location_id for update`
        : `select 1 from inventory_positions p join (${POSITIONS_SQL}) k
              on p.item_id = k.item_id and p.location_id = k.location_id
            where p.tenant_id = $1 order by p.item_id, p.location_id for update of p`,
      positions === null ? [tenantId] : [tenantId, encodePositions(positions)],
    );
  }

  /**
   * Sets the on hand of these positions (all of the tenant's with null), locked by lockPositions(), to the sum
   * of their balances, read by this statement; returns how many changed.
   */
  async setPositionsOnHandToBalances(
    runner: QueryRunner,
    tenantId: string,
    positions: PositionKey[] | null,
  ): Promise<number> {
    const [updated] = (await runner.query(
      `update inventory_positions p set on_hand = s.qty, updated_at = now()
         from (select p2.item_id, p2.location_id, coalesce(sum(b.qty), 0) as qty
                 from inventory_positions p2
                 left join inventory_balances b
                   on b.tenant_id = p2.tenant_id and b.item_id = p2.item_id and b.location_id = p2.location_id
                where p2.tenant_id = $1
                  ${positions === null ? '' : `and (p2.item_id, p2.location_id) in (select item_id, location_id from (${POSITIONS_SQL}) k)`}
                group by p2.item_id, p2.location_id) s
        where p.tenant_id = $1 and p.item_id = s.item_id and p.location_id = s.location_id
          and p.on_hand <> s.qty
       returning 1`,
      positions === null ? [tenantId] : [tenantId, encodePositions(positions)],
    )) as [unknown[], number];
    return updated.length;
  }

  /** A zero balance row for each key that has none (so that lockBalances() finds a row to lock). */
  async insertMissingBalances(runner: QueryRunner, tenantId: string, keys: BalanceKey[]): Promise<void> {
    await runner.query(
      `insert into inventory_balances (tenant_id, item_id, location_id, lot_id, qty, last_ledger_id, updated_at)
       select $1, k.item_id, k.location_id, k.lot_id, 0, 0, now() from (${KEYS_SQL}) k
       on conflict on constraint inventory_balances_key do nothing`,
      [tenantId, encodeKeys(keys)],
    );
  }

  /** Locks the keys' balance rows until commit, in id order. */
  async lockBalances(runner: QueryRunner, tenantId: string, keys: BalanceKey[]): Promise<void> {
    await runner.query(
      `select b.id from inventory_balances b join (${KEYS_SQL}) k
          on b.item_id = k.item_id and b.location_id = k.location_id and b.lot_id is not distinct from k.lot_id
        where b.tenant_id = $1 order by b.id for update of b`,
      [tenantId, encodeKeys(keys)],
    );
  }

  /** Sets the keys' balances to their ledger sums, read by this statement (after the lock). */
  async recomputeBalances(runner: QueryRunner, tenantId: string, keys: BalanceKey[]): Promise<void> {
    await runner.query(
      `update inventory_balances b
          set qty = coalesce(s.qty, 0), last_ledger_id = coalesce(s.last_id, b.last_ledger_id), updated_at = now()
         from (${KEYS_SQL}) k
         left join lateral (
           select sum(l.qty_base) as qty, max(l.id) as last_id from inventory_ledger l
            where l.tenant_id = $1 and l.item_id = k.item_id and l.location_id = k.location_id
              and l.lot_id is not distinct from k.lot_id
         ) s on true
        where b.tenant_id = $1 and b.item_id = k.item_id and b.location_id = k.location_id
          and b.lot_id is not distinct from k.lot_id`,
      [tenantId, encodeKeys(keys)],
    );
  }

  /** Deletes the keys' balance rows that are zero and have no ledger rows. */
  async deleteEmptyBalancesWithoutLedger(
    runner: QueryRunner,
    tenantId: string,
    keys: BalanceKey[],
  ): Promise<void> {
    await runner.query(
      `delete from inventory_balances b using (${KEYS_SQL}) k
        where b.tenant_id = $1 and b.item_id = k.item_id and b.location_id = k.location_id
          and b.lot_id is not distinct from k.lot_id and b.qty = 0
          and not exists (select 1 from inventory_ledger l
                           where l.tenant_id = $1 and l.item_id = b.item_id and l.location_id = b.location_id
                             and l.lot_id is not distinct from b.lot_id)`,
      [tenantId, encodeKeys(keys)],
    );
  }

  /** An audit entry of the tenant by system/reconciliation, in the runner's transaction. */
  async insertAuditEntry(
    runner: QueryRunner,
    tenantId: string,
    action: string,
    after: Record<string, unknown>,
    entityType: 'inventory_balance' | 'inventory_position' = 'inventory_balance',
  ): Promise<void> {
    await runner.query(
      `insert into audit_logs (tenant_id, actor_kind, actor_name, action, entity_type, after)
       values ($1, 'system', 'reconciliation', $2, $4, $3::jsonb)`,
      [tenantId, action, JSON.stringify(after), entityType],
    );
  }

  /**
   * A position (availability's row per item and location) for every (item, location) of the ledger without one:
   * balances rebuilt here did not pass through change_stock(), which creates them as stock moves.
   */
  async insertPositionsForLedgerKeys(runner: QueryRunner, tenantId: string): Promise<void> {
    await runner.query(
      `insert into inventory_positions (tenant_id, item_id, location_id)
       select distinct $1::uuid, item_id, location_id from inventory_ledger where tenant_id = $1
       on conflict do nothing`,
      [tenantId],
    );
  }

  /** A zero balance row for every ledger key without one; returns how many were inserted. */
  async insertBalancesForLedgerKeys(runner: QueryRunner, tenantId: string): Promise<number> {
    const inserted = (await runner.query(
      `insert into inventory_balances (tenant_id, item_id, location_id, lot_id, qty, last_ledger_id, updated_at)
       select distinct $1::uuid, item_id, location_id, lot_id, 0::numeric, 0::bigint, now()
         from inventory_ledger where tenant_id = $1
       on conflict on constraint inventory_balances_key do nothing
       returning 1`,
      [tenantId],
    )) as unknown[];
    return inserted.length;
  }

  /** Locks every balance row of the tenant until commit, in id order. */
  async lockTenantBalances(runner: QueryRunner, tenantId: string): Promise<void> {
    await runner.query(`select id from inventory_balances where tenant_id = $1 order by id for update`, [
      tenantId,
    ]);
  }

  /**
   * Sets every balance of a ledger key that differs to its ledger sum and last ledger id; returns how many
   * quantities changed (a new last ledger id alone does not count). RETURNING sees the updated row, so the old
   * quantity comes from a self-join (`before`), which reads the row as it was when the statement started.
   */
  async setBalancesToLedgerSums(runner: QueryRunner, tenantId: string): Promise<number> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [updated] = (await runner.query(
      `with sums as (
         select item_id, location_id, lot_id, sum(qty_base) as qty, max(id) as last_id
           from inventory_ledger where tenant_id = $1 group by item_id, location_id, lot_id
       )
       update inventory_balances b set qty = s.qty, last_ledger_id = s.last_id, updated_at = now()
         from sums s, inventory_balances before
        where before.tenant_id = b.tenant_id and before.id = b.id
          and b.tenant_id = $1 and b.item_id = s.item_id and b.location_id = s.location_id
          and coalesce(b.lot_id, '${NO_LOT}') = coalesce(s.lot_id, '${NO_LOT}')
          and (b.qty <> s.qty or b.last_ledger_id <> s.last_id)
       returning before.qty <> s.qty as changed`,
      [tenantId],
    )) as [Array<{ changed: boolean }>, number];
    return updated.filter((row) => row.changed).length;
  }

  /** Deletes every balance row of the tenant without ledger rows, whatever its quantity; returns how many. */
  async deleteBalancesWithoutLedger(runner: QueryRunner, tenantId: string): Promise<number> {
    const [deleted] = (await runner.query(
      `delete from inventory_balances b
        where b.tenant_id = $1
          and not exists (select 1 from inventory_ledger l
                           where l.tenant_id = $1 and l.item_id = b.item_id and l.location_id = b.location_id
                             and l.lot_id is not distinct from b.lot_id)
       returning 1`,
      [tenantId],
    )) as [unknown[], number];
    return deleted.length;
  }
}
