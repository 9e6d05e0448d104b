import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LocationQueryDto, UpdateLocationDto } from '../../src/modules/locations/dto/location.dto.js';
import { LocationsService } from '../../src/modules/locations/locations.service.js';
import { createItem, createLocation, createTenantWithAdmin, receiveStock } from './support/factories.js';
import { type ServiceHarness, rejection, startServiceHarness } from './support/service-harness.js';

describe('LocationsService on a cloned database', () => {
  let h: ServiceHarness;
  let locations: LocationsService;

  beforeAll(async () => {
    h = await startServiceHarness();
    locations = h.get(LocationsService);
  });
  afterAll(() => h.close());

  it('creates a location with trimmed fields and reads it back', async () => {
    const { admin } = await createTenantWithAdmin(h);
    const created = await createLocation(h, admin, {
      site: ' Berlin ',
      name: ' A-01-03 ',
      code: ' BER-A ',
      type: 'bin',
    });
    expect(created).toMatchObject({
      site: 'Berlin',
      name: 'A-01-03',
      code: 'BER-A',
      type: 'bin',
      archived: false,
      archivedAt: null,
    });
    expect(await h.as(admin, () => locations.get(created.id))).toEqual(created);
  });

  it('refuses a second (site, name) with the conflict problem; the name is free at another site', async () => {
    const tenant = await createTenantWithAdmin(h);
    await createLocation(h, tenant.admin, { site: 'Berlin', name: 'A-01' });
    const problem = await rejection(createLocation(h, tenant.admin, { site: 'Berlin', name: 'A-01' }));
    expect(problem).toMatchObject({ status: 409, type: 'conflict' });
    expect(problem.detail).toContain('locations_tenant_id_site_name_key');
    await expect(createLocation(h, tenant.admin, { site: 'Hamburg', name: 'A-01' })).resolves.toMatchObject({
      site: 'Hamburg',
      name: 'A-01',
    });

    // A rename onto an existing (site, name) is the same conflict, and leaves the location as it was.
    const third = await createLocation(h, tenant.admin, { site: 'Berlin', name: 'A-02' });
    const rename = await h.input(UpdateLocationDto, { name: 'A-01' });
    expect(await rejection(h.as(tenant.admin, () => locations.update(third.id, rename)))).toMatchObject({
      status: 409,
      type: 'conflict',
    });
    expect((await h.as(tenant.admin, () => locations.get(third.id))).name).toBe('A-02');

    // Tenants do not share the key.
    const other = await createTenantWithAdmin(h);
    await expect(createLocation(h, other.admin, { site: 'Berlin', name: 'A-01' })).resolves.toBeDefined();
  });

  it('deletes a location without history, archives one with history and lists it among the archived', async () => {
    const { admin } = await createTenantWithAdmin(h);
    const empty = await createLocation(h, admin, { site: 'S', name: 'Empty' });
    await h.as(admin, () => locations.delete(empty.id));
    expect(await rejection(h.as(admin, () => locations.get(empty.id)))).toMatchObject({
      status: 404,
      type: 'not-found',
    });

    const used = await createLocation(h, admin, { site: 'S', name: 'Used' });
    const item = await createItem(h, admin);
    await receiveStock(h, admin, { itemId: item.id, locationId: used.id, qty: '2' });
    await h.as(admin, () => locations.delete(used.id));
    const archived = await h.as(admin, () => locations.get(used.id));
    expect(archived).toMatchObject({ archived: true, archivedAt: expect.any(String) });
    await h.as(admin, () => locations.delete(used.id));
    expect((await h.as(admin, () => locations.get(used.id))).archivedAt).toBe(archived.archivedAt);

    const list = async (query: object) =>
      (
        await h.as(admin, async () => locations.list(await h.input(LocationQueryDto, query, 'query')))
      ).data.map((location) => location.id);
    expect(await list({})).toEqual([]);
    expect(await list({ archived: 'true' })).toEqual([used.id]);
    expect(await list({ archived: 'true', search: 'nothing-like-it' })).toEqual([]);
  });
});
