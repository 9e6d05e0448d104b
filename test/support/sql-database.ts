import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TEST_APP_PASSWORD, createTestDatabase, type TestDatabase } from './test-database-server.js';

/** What PostgreSQL said when a statement failed. */
export interface SqlError {
  code: string;
  message: string;
  detail?: string;
}

/**
 * A clone of the migrated template for SQL-level tests: one connection as the app role (`inventory_app`,
 * row-level security applies, exactly what the service's pool is), each test inside a transaction that
 * `rollback()` undoes, so a case costs milliseconds and leaves nothing behind.
 */
export interface SqlDatabase {
  database: TestDatabase;
  /** The app-role connection. */
  client: pg.Client;
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs the statement in a savepoint and returns the error it raised; fails the test if it succeeds. */
  fails(sql: string, params?: unknown[]): Promise<SqlError>;
  begin(): Promise<void>;
  rollback(): Promise<void>;
  /** Another app-role connection to the same database (the caller ends it): a second replica or client. */
  connectApp(): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function openSqlDatabase(): Promise<SqlDatabase> {
  const database = await createTestDatabase();
  const url = new URL(database.url);
  url.username = 'inventory_app';
  url.password = TEST_APP_PASSWORD;
  const connectApp = async () => {
    const connection = new pg.Client({ connectionString: url.toString() });
    await connection.connect();
    return connection;
  };
  const client = await connectApp();
  const query = async <Row extends object>(sql: string, params?: unknown[]) =>
    (await client.query<Row>(sql, params)).rows;
  return {
    database,
    client,
    query,
    async fails(sql, params) {
      await client.query('savepoint expected_failure');
      try {
        await client.query(sql, params);
      } catch (error) {
        await client.query('rollback to savepoint expected_failure');
        const { code, message, detail } = error as pg.DatabaseError;
        return { code: code ?? '', message, ...(detail !== undefined && { detail }) };
      }
      await client.query('release savepoint expected_failure');
      throw new Error(`expected the statement to fail: ${sql}`);
    },
    begin: async () => void (await client.query('begin')),
    rollback: async () => void (await client.query('rollback')),
    connectApp,
    async close() {
      await client.end();
      await database.drop();
    },
  };
}

export interface SqlTenant {
  id: string;
  slug: string;
}

/** Per-test data, written through the app role in the test's transaction (so row-level security applies). */
export const sqlFixtures = {
  /** A tenant; the transaction then belongs to it (enter_tenant), as a request's would. */
  async tenant(db: SqlDatabase, settings: Record<string, unknown> = {}): Promise<SqlTenant> {
    const slug = `sql-${randomUUID().slice(0, 8)}`;
    const [{ id }] = await db.query<{ id: string }>(
      `insert into tenants (name, slug, settings) values ($1, $1, $2) returning id`,
      [slug, settings],
    );
    await db.query(`select enter_tenant($1, $2)`, [
      id,
      { actorId: null, actorKind: 'system', actorName: 'test' },
    ]);
    return { id, slug };
  },

  async item(
    db: SqlDatabase,
    tenant: SqlTenant,
    options: {
      sku?: string;
      lotTracked?: boolean;
      negativeStock?: 'deny' | 'allow';
      uoms?: Record<string, string>;
      archived?: boolean;
    } = {},
  ): Promise<string> {
    const id = randomUUID();
    await db.query(
      `insert into items (tenant_id, id, sku, name, base_uom, lot_tracked, negative_stock, archived_at)
       values ($1, $2, $3, $3, 'ea', $4, $5, case when $6 then now() end)`,
      [
        tenant.id,
        id,
        options.sku ?? `SKU-${id.slice(0, 8)}`,
        options.lotTracked ?? false,
        options.negativeStock ?? null,
        options.archived ?? false,
      ],
    );
    for (const [code, factor] of Object.entries(options.uoms ?? {}))
      await db.query(`insert into item_uoms (tenant_id, item_id, code, factor) values ($1, $2, $3, $4)`, [
        tenant.id,
        id,
        code,
        factor,
      ]);
    return id;
  },

  async location(db: SqlDatabase, tenant: SqlTenant, options: { archived?: boolean } = {}): Promise<string> {
    const id = randomUUID();
    await db.query(
      `insert into locations (tenant_id, id, site, name, archived_at) values ($1, $2, 'Site', $3, case when $4 then now() end)`,
      [tenant.id, id, `Bin ${id.slice(0, 8)}`, options.archived ?? false],
    );
    return id;
  },
};

export interface MovementResult {
  replayed: boolean;
  status: number;
  body: {
    id: string;
    type: string;
    lineCount: number;
    lines: { itemId: string; locationId: string; lotCode: string | null; qty: string; qtyBase: string }[];
  };
}

/** The SQL call the service makes for POST /api/inventory/movements (and, with `countAdjustment`, a count). */
export function postMovementSql(options: { idempotencyKey?: string; countAdjustment?: boolean } = {}): {
  sql: string;
  params: (tenant: SqlTenant, movement: object, fingerprint?: string) => unknown[];
} {
  return {
    sql: `select post_movement($1, null, 'system', $2, $3, $4, $5, $6) as result`,
    params: (tenant, movement, fingerprint = 'fingerprint-1') => [
      tenant.id,
      options.idempotencyKey ?? null,
      options.idempotencyKey ? fingerprint : null,
      movement,
      { actorId: null, actorKind: 'system', actorName: 'test' },
      options.countAdjustment ?? false,
    ],
  };
}

export async function postMovement(
  db: SqlDatabase,
  tenant: SqlTenant,
  movement: object,
  options: { idempotencyKey?: string; fingerprint?: string; countAdjustment?: boolean } = {},
): Promise<MovementResult> {
  const call = postMovementSql(options);
  const [{ result }] = await db.query<{ result: MovementResult }>(
    call.sql,
    call.params(tenant, movement, options.fingerprint),
  );
  return result;
}

export function failedPosting(
  db: SqlDatabase,
  tenant: SqlTenant,
  movement: object,
  options: { idempotencyKey?: string; fingerprint?: string; countAdjustment?: boolean } = {},
): Promise<SqlError> {
  const call = postMovementSql(options);
  return db.fails(call.sql, call.params(tenant, movement, options.fingerprint));
}

/** The balance of one key as the database keeps it ('0' when there is no row). */
export async function balance(
  db: SqlDatabase,
  item: string,
  location: string,
  lotCode?: string,
): Promise<string> {
  const rows = await db.query<{ qty: string }>(
    `select trim_scale(b.qty)::text as qty from inventory_balances b left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
      where b.item_id = $1 and b.location_id = $2 and lt.code is not distinct from $3`,
    [item, location, lotCode ?? null],
  );
  return rows[0]?.qty ?? '0';
}
