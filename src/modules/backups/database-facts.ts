import type pg from 'pg';

/*
 * The statements run against a database being dumped or verified, each on the caller's own connection: the
 * source database at dump time, the restored copy at verification. The caller decides where the snapshot's
 * transaction begins and ends; the statements are here.
 */

/** What a backup records at dump time and verification recomputes on the restored copy. */
export interface DatabaseFacts {
  /** Rows per table of the schema `public`, except the catalogue itself (its rows are not dumped). */
  tableCounts: Record<string, number>;
  /** md5 over the md5 of every ledger row's text, in (tenant_id, id) order. */
  ledgerChecksum: string;
}

export interface BalanceComparison {
  keysChecked: number;
  driftKeys: number;
  /** The first drifted keys, for the report. */
  drifts: Array<{
    tenantId: string;
    itemId: string;
    locationId: string;
    lotId: string | null;
    ledgerQty: string | null;
    balanceQty: string | null;
  }>;
}

/** The catalogue's rows describe files, not business data: pg_dump leaves them out (--exclude-table-data). */
export const CATALOGUE_TABLE = 'backups';
const NO_LOT = '00000000-0000-0000-0000-000000000000';
const DRIFTS_KEPT = 20;

/** The owner role and server as the prerequisite check sees them (BackupTools). */
export interface ServerRole {
  version: string;
  versionNum: string;
  role: string;
  bypassesRls: boolean;
  createsDb: boolean;
}

export async function readServerRole(client: pg.Client): Promise<ServerRole> {
  const { rows } = await client.query<ServerRole>(
    `select current_setting('server_version') as version, current_setting('server_version_num') as "versionNum",
            current_user as role, rolsuper or rolbypassrls as "bypassesRls", rolsuper or rolcreatedb as "createsDb"
       from pg_roles where rolname = current_user`,
  );
  return rows[0];
}

/** One snapshot for everything read until commitSnapshot(); pg_dump can share it (exportSnapshot). */
export async function beginSnapshot(client: pg.Client): Promise<void> {
  await client.query('begin isolation level repeatable read read only');
}

/** The id pg_dump --snapshot imports, so that it dumps exactly the rows this transaction sees. */
export async function exportSnapshot(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>('select pg_export_snapshot() as id');
  return rows[0].id;
}

export async function commitSnapshot(client: pg.Client): Promise<void> {
  await client.query('commit');
}

/**
 * Pins the session settings that change how a row prints as text (the checksum hashes that text), then
 * refuses row-level security: a role bound by it would silently count and hash only part of the rows. Call
 * inside the transaction whose snapshot is being described; the settings are transaction-local.
 */
async function pinReadSettings(client: pg.Client): Promise<void> {
  await client.query(
    `select set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
            set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true),
            set_config('row_security', 'off', true)`,
  );
}

/**
 * Row counts of every table and the ledger checksum, in one snapshot (the caller's transaction): at dump time
 * the transaction whose snapshot pg_dump imports, at verification a read-only transaction on the copy.
 */
export async function readDatabaseFacts(client: pg.Client): Promise<DatabaseFacts> {
  await pinReadSettings(client);
  const { rows: tables } = await client.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition and c.relname <> $1
      order by c.relname`,
    [CATALOGUE_TABLE],
  );
  const tableCounts: Record<string, number> = {};
  if (tables.length > 0) {
    // One statement, one row, a column per table: a scan of each table, all in the same snapshot.
    const columns = tables.map(
      ({ name }) =>
        `(select count(*) from public.${client.escapeIdentifier(name)}) as ${client.escapeIdentifier(name)}`,
    );
    const { rows } = await client.query<Record<string, string>>(`select ${columns.join(', ')}`);
    for (const { name } of tables) tableCounts[name] = Number(rows[0][name]);
  }
  // md5 of each row first: string_agg of whole rows would hit the 1 GB value limit at a few million rows.
  const { rows } = await client.query<{ checksum: string }>(
    `select md5(coalesce(string_agg(md5(l::text), '' order by l.tenant_id, l.id), '')) as checksum
       from inventory_ledger l`,
  );
  return { tableCounts, ledgerChecksum: rows[0].checksum };
}

/**
 * The balance reconciliation's comparison (ReconciliationService: SUM of the ledger per key against the
 * balance row, full join so missing and orphaned balances count), over every tenant at once and read-only: on a
 * restored copy nothing is corrected, any drift fails the verification.
 */
export async function compareBalancesWithLedger(client: pg.Client): Promise<BalanceComparison> {
  await pinReadSettings(client);
  const { rows } = await client.query<{ keys: string; drifted: string; drifts: BalanceComparison['drifts'] }>(
    `with ledger as (
       select tenant_id, item_id, location_id, lot_id, sum(qty_base) as qty
         from inventory_ledger group by tenant_id, item_id, location_id, lot_id
     ), compared as materialized (
       select coalesce(l.tenant_id, b.tenant_id) as tenant_id, coalesce(l.item_id, b.item_id) as item_id,
              coalesce(l.location_id, b.location_id) as location_id, coalesce(l.lot_id, b.lot_id) as lot_id,
              l.qty as ledger_qty, b.qty as balance_qty
         from ledger l
         full join inventory_balances b
           on b.tenant_id = l.tenant_id and b.item_id = l.item_id and b.location_id = l.location_id
          and coalesce(b.lot_id, '${NO_LOT}') = coalesce(l.lot_id, '${NO_LOT}')
     ), drifted as (
       select * from compared where ledger_qty is distinct from balance_qty
     )
     select (select count(*) from compared)::text as keys, (select count(*) from drifted)::text as drifted,
            coalesce((select jsonb_agg(jsonb_build_object(
                'tenantId', tenant_id, 'itemId', item_id, 'locationId', location_id, 'lotId', lot_id,
                'ledgerQty', trim_scale(ledger_qty)::text, 'balanceQty', trim_scale(balance_qty)::text))
              from (select * from drifted order by tenant_id, item_id, location_id limit ${DRIFTS_KEPT}) d),
              '[]'::jsonb) as drifts`,
  );
  return { keysChecked: Number(rows[0].keys), driftKeys: Number(rows[0].drifted), drifts: rows[0].drifts };
}
