import { randomUUID } from 'node:crypto';
import { BalanceQueryDto } from '../../../src/modules/inventory/dto/inventory-query.dto.js';
import { CreateMovementDto, type MovementView } from '../../../src/modules/inventory/dto/movement.dto.js';
import { InventoryQueries } from '../../../src/modules/inventory/inventory-queries.service.js';
import { type PostedMovement, MovementsService } from '../../../src/modules/inventory/movements.service.js';
import { CreateItemDto, type ItemView } from '../../../src/modules/items/dto/item.dto.js';
import { ItemsService } from '../../../src/modules/items/items.service.js';
import { CreateLocationDto, type LocationView } from '../../../src/modules/locations/dto/location.dto.js';
import { LocationsService } from '../../../src/modules/locations/locations.service.js';
import { RolesService } from '../../../src/modules/roles/roles.service.js';
import { CreateTenantDto } from '../../../src/modules/tenants/dto/tenant.dto.js';
import { TenantsService } from '../../../src/modules/tenants/tenants.service.js';
import { CreateUserDto } from '../../../src/modules/users/dto/user.dto.js';
import { UsersService } from '../../../src/modules/users/users.service.js';
import type { Actor, ServiceHarness } from './service-harness.js';

/**
 * Per-test state, built through the services (never inserted behind their back): each test makes its own
 * tenant, so tests share nothing but the booted application.
 */

export interface TenantFixture {
  id: string;
  slug: string;
  /** The tenant's first user, with the Admin role (every permission of the tenant). */
  admin: Actor;
}

const unique = () => randomUUID().slice(0, 8);

/** A tenant with its default roles and an Admin user, created on the platform path (TenantsService, like org:create). */
export async function createTenantWithAdmin(h: ServiceHarness, prefix = 'medium'): Promise<TenantFixture> {
  const slug = `${prefix}-${unique()}`;
  const input = await h.input(CreateTenantDto, {
    name: `Tenant ${slug}`,
    slug,
    admin: { email: `admin@${slug}.example`, password: `admin-password-${slug}` },
  });
  const created = await h.get(TenantsService).create(input);
  if (!created.adminUserId) throw new Error('TenantsService.create returned no admin user');
  return { id: created.id, slug, admin: await h.actor(created.id, created.adminUserId) };
}

/** A further user of the tenant with one of its roles (Manager, Analyst, Auditor, Counter), created by its Admin. */
export async function createMember(
  h: ServiceHarness,
  tenant: TenantFixture,
  roleName: string,
): Promise<Actor> {
  const user = await h.as(tenant.admin, async () => {
    const role = await h.get(RolesService).findByNameOrId(roleName);
    const email = `${roleName.toLowerCase()}-${unique()}@${tenant.slug}.example`;
    const input = await h.input(CreateUserDto, {
      email,
      password: `password-of-${email}`,
      roleIds: [role.id],
    });
    return h.get(UsersService).create(input);
  });
  return h.actor(tenant.id, user.id);
}

/** An item (unique sku, base unit `ea` unless overridden) created through ItemsService. */
export async function createItem(
  h: ServiceHarness,
  actor: Actor,
  fields: Record<string, unknown> = {},
): Promise<ItemView> {
  const input = await h.input(CreateItemDto, {
    sku: `SKU-${unique()}`,
    name: 'Item',
    baseUom: 'ea',
    ...fields,
  });
  return h.as(actor, () => h.get(ItemsService).create(input));
}

/** A location (site `Main`, unique name unless overridden) created through LocationsService. */
export async function createLocation(
  h: ServiceHarness,
  actor: Actor,
  fields: Record<string, unknown> = {},
): Promise<LocationView> {
  const input = await h.input(CreateLocationDto, { site: 'Main', name: `Bin-${unique()}`, ...fields });
  return h.as(actor, () => h.get(LocationsService).create(input));
}

/** What the controller hands MovementsService besides the body. */
export const MOVEMENT_REQUEST = { method: 'POST', route: '/api/inventory/movements', ip: undefined };

/** Posts a movement as POST /api/inventory/movements does: validated body, no surrounding transaction. */
export async function postMovement(
  h: ServiceHarness,
  actor: Actor,
  body: Record<string, unknown>,
  idempotencyKey?: string,
): Promise<PostedMovement> {
  const input = await h.input(CreateMovementDto, body);
  return h.asSingleStatement(actor, () =>
    h.get(MovementsService).post(input, idempotencyKey, MOVEMENT_REQUEST),
  );
}

/** Stock received through MovementsService: one receipt line. */
export async function receiveStock(
  h: ServiceHarness,
  actor: Actor,
  line: { itemId: string; locationId: string; qty: string; lotCode?: string; uom?: string },
): Promise<MovementView> {
  const posted = await postMovement(h, actor, { type: 'receipt', lines: [line] });
  if (posted.status !== 201) throw new Error(`receipt answered ${posted.status}`);
  return posted.body;
}

/** The balance of one key as InventoryQueries reports it ('0' when the key has none). */
export async function balanceOf(
  h: ServiceHarness,
  actor: Actor,
  key: { itemId: string; locationId: string; lotCode?: string },
): Promise<string> {
  const query = await h.input(BalanceQueryDto, key, 'query');
  const page = await h.as(actor, () => h.get(InventoryQueries).balances(query));
  return page.data.find((row) => row.lotCode === (key.lotCode ?? null))?.qty ?? '0';
}
