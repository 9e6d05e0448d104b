import { runBuiltCli } from '../../kit/service-process.js';
import { BUILD_DIR } from './build.js';
import type { ReliabilityDatabase } from './database.js';
import type { WebhookReceiver } from './receiver.js';
import { serviceEnvironment } from './service.js';
import { type AcknowledgedLedger, keyOf, micro } from './workload.js';

export interface LedgerCheck {
  /** Movements of the tenant in the database. */
  committed: number;
  /** Movements acknowledged to the clients. */
  acknowledged: number;
  /** Acknowledged but not in the database (lost). */
  missing: string[];
  /** In the database but never acknowledged (a doubled retry, or an answer the clients never got). */
  unacknowledged: string[];
  ledgerRows: number;
  acknowledgedLines: number;
  /** Keys whose balance differs from the sum of the acknowledged lines. */
  keysDifferingFromAcknowledged: string[];
  /** Balance rows (every tenant) that differ from their ledger sum, or ledger keys without a balance row. */
  balancesDifferingFromLedger: number;
  /** Balance rows below zero (every tenant; the rule is `deny` everywhere). */
  negativeBalances: number;
  balanceKeys: number;
}

/**
 * The ground truth, read as the owner (no row-level security): every acknowledged movement is in the database
 * exactly once (its id is the primary key, and the set of ids is compared both ways), the ledger has exactly the
 * acknowledged lines (so each balance equals what the clients were told), every balance equals its ledger sum,
 * none is negative.
 */
export async function checkLedger(
  database: ReliabilityDatabase,
  tenantId: string,
  ledger: AcknowledgedLedger,
): Promise<LedgerCheck> {
  const committedIds = new Set(
    (
      await database.query<{ id: string }>(`select id::text from inventory_movements where tenant_id = $1`, [
        tenantId,
      ])
    ).map((row) => row.id),
  );
  const [{ rows }] = await database.query<{ rows: number }>(
    `select count(*)::int as rows from inventory_ledger where tenant_id = $1`,
    [tenantId],
  );
  const balances = await database.query<{
    item_id: string;
    location_id: string;
    code: string | null;
    qty: string;
  }>(
    `select b.item_id::text, b.location_id::text, l.code, b.qty::text
       from inventory_balances b left join lots l on l.tenant_id = b.tenant_id and l.id = b.lot_id
      where b.tenant_id = $1`,
    [tenantId],
  );
  const [{ differing }] = await database.query<{ differing: number }>(
    `select count(*)::int as differing
       from (select tenant_id, item_id, location_id, lot_id, sum(qty_base) as qty
               from inventory_ledger group by tenant_id, item_id, location_id, lot_id) l
       full join inventory_balances b
         on b.tenant_id = l.tenant_id and b.item_id = l.item_id and b.location_id = l.location_id
        and b.lot_id is not distinct from l.lot_id
      where coalesce(l.qty, 0) <> coalesce(b.qty, 0) or b.id is null`,
  );
  const [{ negative }] = await database.query<{ negative: number }>(
    `select count(*)::int as negative from inventory_balances where qty < 0`,
  );
  const expected = ledger.balances();
  const actual = new Map(
    balances.map((row) => [keyOf(row.item_id, row.location_id, row.code), micro(row.qty)]),
  );
  const keysDiffering = [...new Set([...expected.keys(), ...actual.keys()])].filter(
    (key) => (expected.get(key) ?? 0n) !== (actual.get(key) ?? 0n),
  );
  return {
    committed: committedIds.size,
    acknowledged: ledger.movements.size,
    missing: [...ledger.movements.keys()].filter((id) => !committedIds.has(id)),
    unacknowledged: [...committedIds].filter((id) => !ledger.movements.has(id)),
    ledgerRows: rows,
    acknowledgedLines: ledger.lineCount(),
    keysDifferingFromAcknowledged: keysDiffering,
    balancesDifferingFromLedger: differing,
    negativeBalances: negative,
    balanceKeys: balances.length,
  };
}

export interface AvailabilityCheck {
  /** Positions whose reserved counter differs from the open quantity of their reservation lines. */
  reservedDiffering: number;
  /** Positions whose on hand is not the sum of their balances. */
  onHandDiffering: number;
  /** Positions or lots with available below zero (oversold): under `deny`, only a count could do that. */
  oversold: number;
  /** Reservation lines whose consumed, released and expired quantities add up to more than they reserved. */
  overdrawnLines: number;
  openReservations: number;
}

/** Availability's ground truth, as the owner: the stored counters against the lines, and no oversell. */
export async function checkAvailability(
  database: ReliabilityDatabase,
  tenantId: string,
): Promise<AvailabilityCheck> {
  const [figures] = await database.query<AvailabilityCheck>(
    `select (select count(*) from inventory_positions p
               left join (select item_id, location_id, sum(open_qty) as open from reservation_lines
                           where tenant_id = $1 group by 1, 2) r on r.item_id = p.item_id and r.location_id = p.location_id
              where p.tenant_id = $1 and p.reserved <> coalesce(r.open, 0))::int as "reservedDiffering",
            (select count(*) from inventory_positions p
               left join (select item_id, location_id, sum(qty) as qty from inventory_balances
                           where tenant_id = $1 group by 1, 2) b on b.item_id = p.item_id and b.location_id = p.location_id
              where p.tenant_id = $1 and p.on_hand <> coalesce(b.qty, 0))::int as "onHandDiffering",
            (select count(*) from (
               select a.item_id from stock_availability($1) a where a.available < 0
               union all
               select b.item_id from inventory_balances b where b.tenant_id = $1 and b.lot_id is not null
                  and b.qty - key_reserved(b.tenant_id, b.item_id, b.location_id, b.lot_id) < 0) o)::int as oversold,
            (select count(*) from reservation_lines where tenant_id = $1
                and consumed_qty + released_qty + expired_qty > qty)::int as "overdrawnLines",
            (select count(*) from reservations where tenant_id = $1 and status = 'active')::int as "openReservations"`,
    [tenantId],
  );
  return figures;
}

export interface ReconcileRun {
  exitCode: number | null;
  keysChecked: number;
  drifted: number;
  output: string;
}

/** `node dist/src/cli/main.js reconcile:balances` against the scenario's database, as an operator runs it. */
export function runReconcile(database: ReliabilityDatabase): ReconcileRun {
  const result = runBuiltCli(['reconcile:balances'], {
    env: serviceEnvironment(database),
    dist: BUILD_DIR,
    timeoutMs: 120_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  const summary = /(\d+) balance keys checked, (\d+) drifted/.exec(output);
  return {
    exitCode: result.status,
    keysChecked: Number(summary?.[1] ?? -1),
    drifted: Number(summary?.[2] ?? -1),
    output,
  };
}

export interface DeliveryCheck {
  /** Outbox events of the tenant whose type the endpoint subscribes to. */
  events: number;
  /** ... not answered 2xx by the receiver. */
  undelivered: string[];
  /** Committed movements without a delivered movement.posted / inventory.updated event. */
  movementsWithoutPosted: string[];
  movementsWithoutUpdated: string[];
  /** Deliveries left pending or dead-lettered. */
  notSucceeded: number;
  /** How long the queue took to drain after the scenario's load stopped. */
  drainMs: number;
}

/**
 * Waits (up to `timeoutMs`) until every delivery of the tenant succeeded, then compares the outbox with what the
 * receiver got: every event of a committed change must have arrived.
 */
export async function checkDeliveries(
  database: ReliabilityDatabase,
  tenantId: string,
  receiver: WebhookReceiver,
  timeoutMs: number,
): Promise<DeliveryCheck> {
  const started = Date.now();
  const notSucceeded = async () =>
    (
      await database.query<{ n: number }>(
        `select count(*)::int as n from webhook_deliveries where tenant_id = $1 and status <> 'success'`,
        [tenantId],
      )
    )[0].n;
  let left = await notSucceeded();
  while (left > 0 && Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = await notSucceeded();
  }
  const drainMs = Date.now() - started;
  const events = await database.query<{ id: string }>(
    `select e.id::text from outbox_events e
      where e.tenant_id = $1 and e.type in ('movement.posted', 'inventory.updated')`,
    [tenantId],
  );
  const movements = await database.query<{ id: string }>(
    `select id::text from inventory_movements where tenant_id = $1`,
    [tenantId],
  );
  return {
    events: events.length,
    undelivered: events.map((event) => event.id).filter((id) => !receiver.delivered.has(id)),
    movementsWithoutPosted: movements.map((m) => m.id).filter((id) => !receiver.postedMovements.has(id)),
    movementsWithoutUpdated: movements.map((m) => m.id).filter((id) => !receiver.updatedMovements.has(id)),
    notSucceeded: left,
    drainMs,
  };
}
