import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ItemQueryDto, UpdateItemDto } from '../../src/modules/items/dto/item.dto.js';
import { ItemsService } from '../../src/modules/items/items.service.js';
import { createItem, createLocation, createTenantWithAdmin, receiveStock } from './support/factories.js';
import { type ServiceHarness, rejection, startServiceHarness } from './support/service-harness.js';

describe('ItemsService on a cloned database', () => {
  let h: ServiceHarness;
  let items: ItemsService;

  beforeAll(async () => {
    h = await startServiceHarness();
    items = h.get(ItemsService);
  });
  afterAll(() => h.close());

  const update = async (actor: Parameters<ServiceHarness['as']>[0], id: string, fields: object) => {
    const input = await h.input(UpdateItemDto, fields);
    return h.as(actor, () => items.update(id, input));
  };

  it('creates an item with its units, canonical factors in code order, and reads it back', async () => {
    const { admin } = await createTenantWithAdmin(h);
    const created = await createItem(h, admin, {
      sku: '  W-1 ',
      name: ' Widget ',
      baseUom: 'ea',
      uoms: [
        { code: 'pack', factor: '6.000' },
        { code: 'case', factor: 12 },
      ],
    });
    expect(created).toMatchObject({
      sku: 'W-1',
      name: 'Widget',
      baseUom: 'ea',
      uoms: [
        { code: 'case', factor: '12' },
        { code: 'pack', factor: '6' },
      ],
      lotTracked: false,
      negativeStock: null,
      archived: false,
      archivedAt: null,
    });
    expect(await h.as(admin, () => items.get(created.id))).toEqual(created);
  });

  it('refuses the base unit among the units and duplicate codes, each field named', async () => {
    const { admin } = await createTenantWithAdmin(h);
    const problem = await rejection(
      createItem(h, admin, {
        baseUom: 'ea',
        uoms: [
          { code: 'ea', factor: '1' },
          { code: 'box', factor: '2' },
          { code: 'box', factor: '3' },
        ],
      }),
    );
    expect(problem).toMatchObject({ status: 400, type: 'validation-failed' });
    expect(problem.errors).toEqual([
      { field: 'uoms[0].code', message: 'the base unit needs no conversion' },
      { field: 'uoms[2].code', message: 'duplicate unit code' },
    ]);
  });

  it('answers a duplicate sku with the conflict problem, and allows the same sku in another tenant', async () => {
    const tenant = await createTenantWithAdmin(h);
    await createItem(h, tenant.admin, { sku: 'DUP-1' });
    const problem = await rejection(createItem(h, tenant.admin, { sku: 'DUP-1', name: 'Again' }));
    expect(problem).toMatchObject({ status: 409, type: 'conflict', title: 'Conflict' });
    expect(problem.detail).toContain('items_tenant_id_sku_key');
    const listed = await h.as(tenant.admin, async () =>
      items.list(await h.input(ItemQueryDto, { search: 'DUP-1' }, 'query')),
    );
    expect(listed.data.map((item) => item.name)).toEqual(['Item']);

    const other = await createTenantWithAdmin(h);
    await expect(createItem(h, other.admin, { sku: 'DUP-1' })).resolves.toMatchObject({ sku: 'DUP-1' });
  });

  it("never shows one tenant's item to another (row-level security in the harness's transaction)", async () => {
    const mine = await createTenantWithAdmin(h);
    const theirs = await createTenantWithAdmin(h);
    const item = await createItem(h, mine.admin);
    expect(await rejection(h.as(theirs.admin, () => items.get(item.id)))).toMatchObject({
      status: 404,
      type: 'not-found',
    });
    const listed = await h.as(theirs.admin, async () => items.list(await h.input(ItemQueryDto, {}, 'query')));
    expect(listed).toEqual({ data: [], nextCursor: null });
  });

  it('lets baseUom and lotTracked change until the item has ledger history, then refuses them with 409', async () => {
    const { admin } = await createTenantWithAdmin(h);
    const item = await createItem(h, admin, { baseUom: 'ea' });
    const changed = await update(admin, item.id, { baseUom: 'pc', lotTracked: true });
    expect(changed).toMatchObject({ baseUom: 'pc', lotTracked: true });
    const reverted = await update(admin, item.id, { lotTracked: false });
    expect(reverted.lotTracked).toBe(false);

    const bin = await createLocation(h, admin);
    await receiveStock(h, admin, { itemId: item.id, locationId: bin.id, qty: '3' });

    for (const fields of [{ baseUom: 'kg' }, { lotTracked: true }]) {
      const problem = await rejection(update(admin, item.id, fields));
      expect(problem).toMatchObject({ status: 409, type: 'item-has-history' });
    }
    // The same values again are no change; other fields stay editable.
    const renamed = await update(admin, item.id, { baseUom: 'pc', lotTracked: false, name: 'Renamed' });
    expect(renamed).toMatchObject({ baseUom: 'pc', lotTracked: false, name: 'Renamed' });
    expect(await h.as(admin, () => items.get(item.id))).toMatchObject({ baseUom: 'pc', name: 'Renamed' });
  });

  it('deletes an item without history, archives one with history (idempotently)', async () => {
    const { admin } = await createTenantWithAdmin(h);
    const unused = await createItem(h, admin);
    await h.as(admin, () => items.delete(unused.id));
    expect(await rejection(h.as(admin, () => items.get(unused.id)))).toMatchObject({
      status: 404,
      type: 'not-found',
    });

    const used = await createItem(h, admin);
    const bin = await createLocation(h, admin);
    await receiveStock(h, admin, { itemId: used.id, locationId: bin.id, qty: '1' });
    await h.as(admin, () => items.delete(used.id));
    const archived = await h.as(admin, () => items.get(used.id));
    expect(archived).toMatchObject({ id: used.id, archived: true, archivedAt: expect.any(String) });

    await h.as(admin, () => items.delete(used.id));
    expect((await h.as(admin, () => items.get(used.id))).archivedAt).toBe(archived.archivedAt);

    const list = async (archivedOnly: boolean) =>
      (
        await h.as(admin, async () =>
          items.list(await h.input(ItemQueryDto, archivedOnly ? { archived: 'true' } : {}, 'query')),
        )
      ).data.map((item) => item.id);
    expect(await list(false)).toEqual([]);
    expect(await list(true)).toEqual([used.id]);
  });
});
