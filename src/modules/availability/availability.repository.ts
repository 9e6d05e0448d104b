import { Injectable } from '@nestjs/common';
import { SqlParameters, keysetSql } from '../../platform/http/pagination/keyset-sql.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { allowCrossTenantStatistics } from '../../platform/database/session-settings.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { AvailabilityView, ReorderPointView, ReplenishmentView } from './dto/availability.dto.js';

const KEY_ORDER = ['a.item_id', 'a.location_id'];

/** The figures behind the availability gauges. */
export interface AvailabilityFigures {
  /** Active, unexpired reservations. */
  open: number;
  /** Seconds since the expiresAt of the oldest reservation not marked expired yet (0: none). */
  expiryLagSeconds: number;
  /** Positions at or below their reorder point. */
  low: number;
}
const FIGURES = `a.item_id as "itemId", a.location_id as "locationId", trim_scale(a.on_hand)::text as "onHand",
  trim_scale(a.reserved)::text as reserved, trim_scale(a.available)::text as available`;

/**
 * Availability's statements, over stock_availability() (db/functions/stock_availability.sql, the one definition
 * of on hand, reserved and available per item and location) and set_reorder_point(). In the request's tenant
 * transaction.
 */
@Injectable()
export class AvailabilityRepository {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly maintenance: MaintenanceDatabase,
  ) {}

  /**
   * Active, unexpired reservations and low positions over every tenant, in one statement on the owner
   * connection (the maintenance_statistics policies, migration AddAvailabilityStatistics).
   */
  async statistics(): Promise<AvailabilityFigures> {
    const [figures] = await this.maintenance.owner.transaction(async (manager) => {
      await allowCrossTenantStatistics(manager);
      return manager.query<AvailabilityFigures[]>(
        `select (select count(*) from reservations
                  where status = 'active' and (expires_at is null or expires_at > now()))::int as open,
                (select coalesce(extract(epoch from now() - min(expires_at)), 0) from reservations
                  where status = 'active' and expires_at <= now())::float8 as "expiryLagSeconds",
                (select count(*) from inventory_positions where low_stock)::int as low`,
      );
    });
    return figures;
  }

  /**
   * One call for a checkout-style lookup: every position of these items (at these locations), through
   * lookup_availability() (db/functions/lookup_availability.sql: planned once per connection).
   */
  lookup(
    tenantId: string,
    itemIds: string[],
    locationIds: string[] | undefined,
  ): Promise<AvailabilityView[]> {
    return this.tx.manager.query<AvailabilityView[]>(
      `select ${FIGURES} from lookup_availability($1, $2::uuid[], $3::uuid[]) a order by a.item_id, a.location_id`,
      [tenantId, itemIds, locationIds ?? null],
    );
  }

  /** Sets (or, with a null point, removes) a reorder point; null when the item or location is not the tenant's. */
  async setReorderPoint(
    tenantId: string,
    itemId: string,
    locationId: string,
    point: { reorderPoint: string; reorderQty: string } | null,
  ): Promise<ReorderPointView | null> {
    const [row] = await this.tx.manager.query<{ view: ReorderPointView | null }[]>(
      'select set_reorder_point($1, $2, $3, $4, $5) as view',
      [tenantId, itemId, locationId, point?.reorderPoint ?? null, point?.reorderQty ?? null],
    );
    return row?.view ?? null;
  }

  /** `limit + 1` reorder points in (item, location) order after the key cursor. */
  reorderPoints(tenantId: string, after: string[] | undefined, limit: number): Promise<ReorderPointView[]> {
    const p = new SqlParameters();
    const tenant = p.add(tenantId);
    const page = keysetSql(p, KEY_ORDER, after, limit);
    return this.tx.manager.query<ReorderPointView[]>(
      `select ${FIGURES}, trim_scale(a.reorder_point)::text as "reorderPoint",
              trim_scale(a.reorder_qty)::text as "reorderQty", a.low_stock as low
         from stock_availability(${tenant}) a
        where a.reorder_point is not null and ${page.where} order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
  }

  /** `limit + 1` keys whose available is at or below their reorder point, in (item, location) order. */
  replenishment(tenantId: string, after: string[] | undefined, limit: number): Promise<ReplenishmentView[]> {
    const p = new SqlParameters();
    const tenant = p.add(tenantId);
    const page = keysetSql(p, KEY_ORDER, after, limit);
    return this.tx.manager.query<ReplenishmentView[]>(
      `select ${FIGURES}, trim_scale(a.reorder_point)::text as "reorderPoint",
              trim_scale(a.reorder_qty)::text as "reorderQty",
              trim_scale(greatest(a.reorder_qty, a.reorder_point - a.available))::text as "suggestedQty"
         from stock_availability(${tenant}) a
        where a.reorder_point is not null and a.available <= a.reorder_point and ${page.where}
        order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
  }
}
