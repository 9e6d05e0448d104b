/**
 * The contract between TypeScript and SQL: every transaction-local `app.*` setting the database reads, and the
 * one statement that sets each. Nothing else in the code calls set_config on an `app.*` name.
 *
 * | setting                    | read by                                        | set by                            |
 * | -------------------------- | ---------------------------------------------- | --------------------------------- |
 * | app.tenant_id              | every row-level security policy                | enter_tenant() (enterTenant)      |
 * | app.audit                  | audit_row_change() (who acts)                  | enter_tenant() (enterTenant)      |
 * | app.audit_action           | audit_row_change() (a named action)            | enterTenant's `action`, nameAuditAction |
 * | app.audit_retention        | refuse_audit_change() (lets the purge delete)  | declareAuditRetention             |
 * | app.maintenance_statistics | the maintenance_statistics policy (webhooks)   | allowCrossTenantStatistics        |
 * | app.negative_stock_exempt  | apply_ledger_to_balances() (count adjustments) | post_movement() only, never here  |
 *
 * All of them are transaction-local (`set_config(..., true)`), so a pooled connection never carries one into
 * the next transaction. See docs/database.md.
 */

/** Any way to run one statement: a TypeORM EntityManager or QueryRunner, a pg client. */
export interface Statement {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Who acts and from where, as the audit triggers read it from `app.audit`. */
export interface AuditOrigin {
  actorId: string | null;
  actorKind: string;
  actorName?: string;
  requestId?: string;
  ip?: string;
}

/**
 * The first statement of every tenant transaction: enter_tenant() sets app.tenant_id and, when given, app.audit
 * (and app.audit_action when `action` names one), in one round trip.
 */
export async function enterTenant(
  db: Statement,
  tenantId: string,
  audit: AuditOrigin | null = null,
  action?: string,
): Promise<void> {
  const parameters: unknown[] = [tenantId, audit === null ? null : JSON.stringify(audit)];
  if (action === undefined) {
    await db.query('select enter_tenant($1, $2::jsonb)', parameters);
  } else {
    await db.query(`select enter_tenant($1, $2::jsonb), set_config('app.audit_action', $3, true)`, [
      ...parameters,
      action,
    ]);
  }
}

/** The rows audited from now on carry `action` (e.g. `user.erased`) instead of `<entity>.updated`; null ends it. */
export async function nameAuditAction(db: Statement, action: string | null): Promise<void> {
  await db.query(`select set_config('app.audit_action', $1, true)`, [action ?? '']);
}

/** The audit retention job: refuse_audit_change() lets this transaction delete expired audit entries. */
export async function declareAuditRetention(db: Statement): Promise<void> {
  await db.query(`select set_config('app.audit_retention', 'on', true)`);
}

/** The owner may count webhook deliveries across tenants in this transaction (queue gauges only). */
export async function allowCrossTenantStatistics(db: Statement): Promise<void> {
  await db.query(`select set_config('app.maintenance_statistics', 'on', true)`);
}
