import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateCountDto, PutCountLinesDto } from '../../src/modules/counts/dto/count.dto.js';
import { CountsService } from '../../src/modules/counts/counts.service.js';
import { MovementQueryDto } from '../../src/modules/inventory/dto/inventory-query.dto.js';
import { InventoryQueries } from '../../src/modules/inventory/inventory-queries.service.js';
import {
  balanceOf,
  createItem,
  createLocation,
  createMember,
  createTenantWithAdmin,
  receiveStock,
} from './support/factories.js';
import {
  type Actor,
  type ServiceHarness,
  problemOf,
  rejection,
  startServiceHarness,
} from './support/service-harness.js';

describe('CountsService on a cloned database', () => {
  let h: ServiceHarness;
  let counts: CountsService;

  beforeAll(async () => {
    h = await startServiceHarness();
    counts = h.get(CountsService);
  });
  afterAll(() => h.close());

  /** A tenant with one item holding `onHand` at one bin. */
  async function stocked(onHand: string) {
    const tenant = await createTenantWithAdmin(h, 'counts');
    const item = await createItem(h, tenant.admin);
    const bin = await createLocation(h, tenant.admin);
    if (onHand !== '0')
      await receiveStock(h, tenant.admin, { itemId: item.id, locationId: bin.id, qty: onHand });
    const key = { itemId: item.id, locationId: bin.id };
    return { tenant, admin: tenant.admin, item, bin, key };
  }

  const create = async (actor: Actor, body: object) => {
    const input = await h.input(CreateCountDto, body);
    return h.as(actor, () => counts.create(input));
  };
  const count = async (actor: Actor, id: string, lines: object[]) => {
    const input = await h.input(PutCountLinesDto, { lines });
    return h.as(actor, () => counts.putLines(id, input.lines));
  };
  const start = (actor: Actor, id: string) => h.as(actor, () => counts.start(id));
  const submit = (actor: Actor, id: string) => h.as(actor, () => counts.submit(id));
  const approve = (actor: Actor, id: string, zeroUncounted = false) =>
    h.as(actor, () => counts.approve(id, zeroUncounted));
  const cancel = (actor: Actor, id: string) => h.as(actor, () => counts.cancel(id));
  const adjustmentsFor = async (actor: Actor, reference: string) => {
    const query = await h.input(MovementQueryDto, { type: 'adjustment', limit: 500 }, 'query');
    const page = await h.as(actor, () => h.get(InventoryQueries).movements(query));
    return page.data.filter((movement) => movement.reference === reference);
  };
  const illegal = (currentStatus: string, detail?: string) => ({
    status: 409,
    type: 'illegal-transition',
    title: 'Illegal state transition',
    currentStatus,
    ...(detail && { detail }),
  });

  it('walks draft -> in_progress -> submitted -> posted and posts one adjustment of the variance', async () => {
    const { admin, key } = await stocked('10');
    const draft = await create(admin, {
      name: 'Cycle',
      itemIds: [key.itemId],
      locationIds: [key.locationId],
    });
    expect(draft).toMatchObject({
      countNumber: 'CNT-000001',
      name: 'Cycle',
      status: 'draft',
      blind: false,
      startedAt: null,
      movementId: null,
    });

    const started = await start(admin, draft.id);
    expect(started).toMatchObject({ status: 'in_progress', startedAt: expect.any(String) });
    expect(started.lines).toEqual([
      {
        ...key,
        lotCode: null,
        inSnapshot: true,
        expectedQty: '10',
        countedQty: null,
        systemQtyAtEntry: null,
        variance: null,
        countedAt: null,
      },
    ]);

    const counted = await count(admin, draft.id, [{ ...key, countedQty: 7 }]);
    expect(counted.lines).toEqual([
      expect.objectContaining({ countedQty: '7', systemQtyAtEntry: '10', variance: '-3' }),
    ]);
    expect((await submit(admin, draft.id)).status).toBe('submitted');

    const { sheet, movement } = await approve(admin, draft.id);
    expect(movement).toMatchObject({
      type: 'adjustment',
      reference: 'CNT-000001',
      createdBy: admin.principal.kind === 'user' ? admin.principal.userId : null,
      lineCount: 1,
      lines: [expect.objectContaining({ ...key, qtyBase: '-3', type: 'adjustment' })],
    });
    expect(sheet).toMatchObject({ status: 'posted', postedAt: expect.any(String), movementId: movement!.id });
    expect(await balanceOf(h, admin, key)).toBe('7');
    expect(await h.as(admin, () => h.get(InventoryQueries).movement(movement!.id))).toEqual(movement);
    expect(await adjustmentsFor(admin, 'CNT-000001')).toHaveLength(1);

    // Numbers are per tenant and sequential.
    expect((await create(admin, {})).countNumber).toBe('CNT-000002');
  });

  it('takes the system quantity at entry: stock received after the start is neither lost nor counted twice', async () => {
    const { admin, key } = await stocked('10');
    const sheet = await create(admin, { itemIds: [key.itemId] });
    await start(admin, sheet.id);
    await receiveStock(h, admin, { ...key, qty: '4' });
    const counted = await count(admin, sheet.id, [{ ...key, countedQty: '14' }]);
    expect(counted.lines).toEqual([
      expect.objectContaining({ expectedQty: '10', systemQtyAtEntry: '14', variance: '0' }),
    ]);
    await submit(admin, sheet.id);
    const approved = await approve(admin, sheet.id);
    expect(approved.movement).toBeNull();
    expect(approved.sheet).toMatchObject({ status: 'posted', movementId: null });
    expect(await balanceOf(h, admin, key)).toBe('14');
  });

  it('adjusts lines nobody counted only with zeroUncounted', async () => {
    const { admin, key } = await stocked('6');
    const sheet = await create(admin, { itemIds: [key.itemId] });
    await start(admin, sheet.id);
    await submit(admin, sheet.id);
    const approved = await approve(admin, sheet.id, true);
    expect(approved.movement?.lines?.map((line) => line.qtyBase)).toEqual(['-6']);
    expect(await balanceOf(h, admin, key)).toBe('0');
  });

  it('refuses every illegal transition with 409 illegal-transition, as the API does, and approves only once', async () => {
    const { admin, key } = await stocked('5');
    const { id, countNumber } = await create(admin, { itemIds: [key.itemId] });

    expect(await rejection(submit(admin, id))).toMatchObject(
      illegal('draft', 'a count in status draft cannot become submitted'),
    );
    expect(await rejection(approve(admin, id))).toMatchObject(
      illegal('draft', 'only a submitted count can be approved'),
    );
    expect(await rejection(count(admin, id, [{ ...key, countedQty: 1 }]))).toMatchObject(
      illegal('draft', 'lines can be entered only while the count is in progress'),
    );

    await start(admin, id);
    expect(await rejection(start(admin, id))).toMatchObject(illegal('in_progress'));
    expect(await rejection(approve(admin, id))).toMatchObject(illegal('in_progress'));
    await count(admin, id, [{ ...key, countedQty: 2 }]);
    await submit(admin, id);
    expect(await rejection(count(admin, id, [{ ...key, countedQty: 3 }]))).toMatchObject(
      illegal('submitted'),
    );
    expect(await rejection(submit(admin, id))).toMatchObject(illegal('submitted'));

    await approve(admin, id);
    expect(await rejection(approve(admin, id))).toMatchObject(
      illegal('posted', 'only a submitted count can be approved'),
    );
    expect(await rejection(cancel(admin, id))).toMatchObject(illegal('posted'));
    expect(await rejection(start(admin, id))).toMatchObject(illegal('posted'));

    expect(await adjustmentsFor(admin, countNumber)).toHaveLength(1);
    expect(await balanceOf(h, admin, key)).toBe('2');
  });

  it('lets exactly one of concurrent approvals post', async () => {
    const { admin, key } = await stocked('5');
    const { id, countNumber } = await create(admin, { itemIds: [key.itemId] });
    await start(admin, id);
    await count(admin, id, [{ ...key, countedQty: 8 }]);
    await submit(admin, id);
    const outcomes = await Promise.allSettled([approve(admin, id), approve(admin, id), approve(admin, id)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(problemOf(outcome.reason)).toMatchObject(illegal('posted'));
    }
    expect(await adjustmentsFor(admin, countNumber)).toHaveLength(1);
    expect(await balanceOf(h, admin, key)).toBe('8');
  });

  it('cancels a draft and a submitted sheet without posting anything; a cancelled sheet goes nowhere', async () => {
    const { admin, key } = await stocked('5');
    const draft = await create(admin, { itemIds: [key.itemId] });
    expect(await cancel(admin, draft.id)).toMatchObject({
      status: 'cancelled',
      cancelledAt: expect.any(String),
    });

    const submitted = await create(admin, { itemIds: [key.itemId] });
    await start(admin, submitted.id);
    await count(admin, submitted.id, [{ ...key, countedQty: 1 }]);
    await submit(admin, submitted.id);
    const cancelled = await cancel(admin, submitted.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', movementId: null });
    expect(await rejection(approve(admin, submitted.id))).toMatchObject(illegal('cancelled'));
    expect(await rejection(cancel(admin, submitted.id))).toMatchObject(illegal('cancelled'));
    expect(await rejection(start(admin, draft.id))).toMatchObject(illegal('cancelled'));

    expect(await adjustmentsFor(admin, submitted.countNumber)).toEqual([]);
    expect(await balanceOf(h, admin, key)).toBe('5');
  });

  it('hides expected quantities of a blind sheet from a principal without counts:approve', async () => {
    const { tenant, admin, key } = await stocked('5');
    const counter = await createMember(h, tenant, 'Counter');
    expect(counter.permissions).toContain('counts:write');
    expect(counter.permissions).not.toContain('counts:approve');
    const hidden = /expectedQty|systemQtyAtEntry|variance/;

    const blind = await create(admin, { itemIds: [key.itemId], blind: true });
    await start(admin, blind.id);
    const seen = await h.as(counter, () => counts.get(blind.id));
    expect(seen.lines).toHaveLength(1);
    expect(JSON.stringify(seen)).not.toMatch(hidden);
    const entered = await count(counter, blind.id, [{ ...key, countedQty: '1' }]);
    expect(entered.lines).toEqual([expect.objectContaining({ countedQty: '1' })]);
    expect(JSON.stringify(entered)).not.toMatch(hidden);

    const asAdmin = await h.as(admin, () => counts.get(blind.id));
    expect(asAdmin.lines).toEqual([
      expect.objectContaining({ expectedQty: '5', systemQtyAtEntry: '5', variance: '-4', countedQty: '1' }),
    ]);

    // The same counter sees them on a sheet that is not blind.
    const open = await create(admin, { itemIds: [key.itemId] });
    await start(admin, open.id);
    expect((await h.as(counter, () => counts.get(open.id))).lines).toEqual([
      expect.objectContaining({ expectedQty: '5' }),
    ]);
  });
});
