import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BalanceQueryDto,
  LedgerQueryDto,
  MovementQueryDto,
} from '../../src/modules/inventory/dto/inventory-query.dto.js';
import type { LedgerEntryView, MovementView } from '../../src/modules/inventory/dto/movement.dto.js';
import { InventoryQueries } from '../../src/modules/inventory/inventory-queries.service.js';
import type { Page } from '../../src/platform/http/pagination/pagination.js';
import {
  MOVEMENT_REQUEST,
  balanceOf,
  createItem,
  createLocation,
  createMember,
  createTenantWithAdmin,
  postMovement,
  receiveStock,
} from './support/factories.js';
import {
  type Actor,
  type ServiceHarness,
  rejection,
  startServiceHarness,
} from './support/service-harness.js';

describe('MovementsService and InventoryQueries on a cloned database', () => {
  let h: ServiceHarness;
  let queries: InventoryQueries;

  beforeAll(async () => {
    h = await startServiceHarness();
    queries = h.get(InventoryQueries);
  });
  afterAll(() => h.close());

  async function stockRoom() {
    const tenant = await createTenantWithAdmin(h, 'stock');
    const item = await createItem(h, tenant.admin, { uoms: [{ code: 'case', factor: '12' }] });
    const binA = await createLocation(h, tenant.admin, { name: 'A' });
    const binB = await createLocation(h, tenant.admin, { name: 'B' });
    return { tenant, admin: tenant.admin, item, binA, binB };
  }

  const userIdOf = (actor: Actor) => (actor.principal.kind === 'user' ? actor.principal.userId : null);

  const movementsPage = async (actor: Actor, query: object): Promise<Page<MovementView>> => {
    const input = await h.input(MovementQueryDto, query, 'query');
    return h.as(actor, () => queries.movements(input));
  };
  const ledgerPage = async (actor: Actor, query: object): Promise<Page<LedgerEntryView>> => {
    const input = await h.input(LedgerQueryDto, query, 'query');
    return h.as(actor, () => queries.ledger(input));
  };

  it('posts a receipt in a unit of the item and reads the same values back as balance, ledger and detail', async () => {
    const { admin, item, binA } = await stockRoom();
    const posted = await postMovement(h, admin, {
      type: 'receipt',
      reference: 'PO-1',
      lines: [{ itemId: item.id, locationId: binA.id, qty: 2, uom: 'case' }],
    });
    expect(posted).toMatchObject({ status: 201, replayed: false });
    expect(posted.body).toMatchObject({
      type: 'receipt',
      reference: 'PO-1',
      createdBy: userIdOf(admin),
      lineCount: 1,
      lines: [
        {
          itemId: item.id,
          locationId: binA.id,
          lotCode: null,
          qty: '2',
          uom: 'case',
          qtyBase: '24',
          type: 'receipt',
        },
      ],
    });

    expect(await balanceOf(h, admin, { itemId: item.id, locationId: binA.id })).toBe('24');
    const ledger = await ledgerPage(admin, { movementId: posted.body.id });
    expect(ledger).toEqual({ data: posted.body.lines, nextCursor: null });
    expect(await h.as(admin, () => queries.movement(posted.body.id))).toEqual(posted.body);
  });

  it('moves both legs of a transfer; refuses a shortage as a whole with 409 insufficient-stock', async () => {
    const { admin, item, binA, binB } = await stockRoom();
    await receiveStock(h, admin, { itemId: item.id, locationId: binA.id, qty: '10' });
    const transfer = await postMovement(h, admin, {
      type: 'transfer',
      lines: [{ itemId: item.id, locationId: binA.id, toLocationId: binB.id, qty: '4' }],
    });
    expect(transfer.body.lines?.map((line) => [line.locationId, line.qtyBase]).sort()).toEqual(
      [
        [binA.id, '-4'],
        [binB.id, '4'],
      ].sort(),
    );
    const at = (location: { id: string }) =>
      balanceOf(h, admin, { itemId: item.id, locationId: location.id });
    expect([await at(binA), await at(binB)]).toEqual(['6', '4']);

    const entriesBefore = (await ledgerPage(admin, { itemId: item.id })).data.length;
    const shortage = await rejection(
      postMovement(h, admin, {
        type: 'issue',
        lines: [
          { itemId: item.id, locationId: binB.id, qty: '1' },
          { itemId: item.id, locationId: binA.id, qty: '7' },
        ],
      }),
    );
    expect(shortage).toMatchObject({
      status: 409,
      type: 'insufficient-stock',
      itemId: item.id,
      locationId: binA.id,
      lotCode: null,
      available: '6',
      requested: '7',
    });
    expect([await at(binA), await at(binB)]).toEqual(['6', '4']);
    expect((await ledgerPage(admin, { itemId: item.id })).data).toHaveLength(entriesBefore);
  });

  it('refuses an adjustment without inventory:adjust (403, denial recorded) and posts it with the permission', async () => {
    const { tenant, admin, item, binA } = await stockRoom();
    await receiveStock(h, admin, { itemId: item.id, locationId: binA.id, qty: '5' });
    const counter = await createMember(h, tenant, 'Counter');
    const adjustment = {
      type: 'adjustment',
      lines: [{ itemId: item.id, locationId: binA.id, qty: '-2' }],
    };

    expect(await rejection(postMovement(h, counter, adjustment))).toMatchObject({
      status: 403,
      type: 'forbidden',
      permission: 'inventory:adjust',
    });
    const denials = await h.database.query<{ user_id: string; route: string; permission: string }>(
      `select user_id, route, permission from rbac_audit_log where tenant_id = $1`,
      [tenant.id],
    );
    expect(denials).toEqual([
      { user_id: userIdOf(counter), route: MOVEMENT_REQUEST.route, permission: 'inventory:adjust' },
    ]);
    expect(await balanceOf(h, admin, { itemId: item.id, locationId: binA.id })).toBe('5');

    await postMovement(h, admin, adjustment);
    expect(await balanceOf(h, admin, { itemId: item.id, locationId: binA.id })).toBe('3');
  });

  it('replays a retry with the same Idempotency-Key and refuses the key with another body', async () => {
    const { admin, item, binA } = await stockRoom();
    const body = { type: 'receipt', lines: [{ itemId: item.id, locationId: binA.id, qty: '3' }] };
    const first = await postMovement(h, admin, body, 'key-1');
    const retry = await postMovement(h, admin, body, 'key-1');
    expect(retry).toEqual({ ...first, replayed: true });
    expect(
      await rejection(postMovement(h, admin, { ...body, lines: [{ ...body.lines[0], qty: '4' }] }, 'key-1')),
    ).toMatchObject({ status: 422, type: 'idempotency-key-reused' });
    expect((await movementsPage(admin, {})).data.map((movement) => movement.id)).toEqual([first.body.id]);
    expect(await balanceOf(h, admin, { itemId: item.id, locationId: binA.id })).toBe('3');
  });

  it('keeps keyset pages of movements stable while new movements are posted', async () => {
    const { admin, item, binA } = await stockRoom();
    const receive = async (qty: number) =>
      (await receiveStock(h, admin, { itemId: item.id, locationId: binA.id, qty: String(qty) })).id;
    const posted: string[] = [];
    for (let qty = 1; qty <= 5; qty += 1) posted.push(await receive(qty));

    const first = await movementsPage(admin, { limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));

    // Posted after the first page was read: they come after everything already listed.
    for (let qty = 6; qty <= 8; qty += 1) posted.push(await receive(qty));
    expect(await movementsPage(admin, { limit: 2 })).toEqual(first);

    const walked = [...first.data];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await movementsPage(admin, { limit: 2, cursor });
      walked.push(...page.data);
      cursor = page.nextCursor;
    }
    const ids = walked.map((movement) => movement.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...posted].sort());
    // The walk across postings is the list as one page would show it.
    expect(ids).toEqual((await movementsPage(admin, { limit: 500 })).data.map((movement) => movement.id));
    expect(walked.every((movement) => movement.lines === undefined && movement.lineCount === 1)).toBe(true);
    expect(await balanceOf(h, admin, { itemId: item.id, locationId: binA.id })).toBe('36');
  });

  it('pages the ledger in posting order while entries are appended', async () => {
    const { admin, item, binA } = await stockRoom();
    const receive = (qty: string) => receiveStock(h, admin, { itemId: item.id, locationId: binA.id, qty });
    await receive('1');
    await receive('2');
    await receive('3');
    const first = await ledgerPage(admin, { itemId: item.id, limit: 2 });
    await receive('4');
    const second = await ledgerPage(admin, { itemId: item.id, limit: 2, cursor: first.nextCursor });
    expect([...first.data, ...second.data].map((entry) => entry.qtyBase)).toEqual(['1', '2', '3', '4']);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.data, ...second.data].map((entry) => BigInt(entry.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('computes balances as of a past moment from the ledger', async () => {
    const { admin, item, binA } = await stockRoom();
    const key = { itemId: item.id, locationId: binA.id };
    await postMovement(h, admin, {
      type: 'receipt',
      occurredAt: '2024-01-01T00:00:00.000Z',
      lines: [{ ...key, qty: '5' }],
    });
    await postMovement(h, admin, {
      type: 'issue',
      occurredAt: '2024-02-01T00:00:00.000Z',
      lines: [{ ...key, qty: '2' }],
    });
    const asOf = async (moment: string) => {
      const query = await h.input(BalanceQueryDto, { ...key, asOf: moment }, 'query');
      return (await h.as(admin, () => queries.balances(query))).data.map((row) => row.qty);
    };
    expect(await asOf('2023-12-31T00:00:00.000Z')).toEqual([]);
    expect(await asOf('2024-01-15T00:00:00.000Z')).toEqual(['5']);
    expect(await asOf('2024-03-01T00:00:00.000Z')).toEqual(['3']);
    expect(await balanceOf(h, admin, key)).toBe('3');
  });

  it("shows another tenant none of this tenant's stock", async () => {
    const { admin, item, binA } = await stockRoom();
    const movement = await receiveStock(h, admin, { itemId: item.id, locationId: binA.id, qty: '9' });
    const other = await createTenantWithAdmin(h, 'other');
    expect(await balanceOf(h, other.admin, { itemId: item.id, locationId: binA.id })).toBe('0');
    expect(await ledgerPage(other.admin, {})).toEqual({ data: [], nextCursor: null });
    expect(await rejection(h.as(other.admin, () => queries.movement(movement.id)))).toMatchObject({
      status: 404,
      type: 'not-found',
    });
    // Nor can it post against them: the line rules see no such item or location.
    expect(
      await rejection(
        postMovement(h, other.admin, {
          type: 'receipt',
          lines: [{ itemId: item.id, locationId: binA.id, qty: '1' }],
        }),
      ),
    ).toMatchObject({ status: 400, type: 'validation-failed' });
  });
});
