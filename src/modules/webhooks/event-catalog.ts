import {
  EVENT_TYPES,
  EVENT_TYPE_NAMES,
  type EventType,
  type SubscribableEventType,
} from '../../platform/outbox/event-types.js';

/**
 * An example of the `data` of every subscribable event type. A mapped type, so a subscribable type without an
 * example (or an example of a type that is not subscribable) does not compile.
 */
const EXAMPLES: { readonly [Type in SubscribableEventType]: Record<string, unknown> } = {
  'item.created': { id: 'uuid', sku: 'S1', name: 'Widget', baseUom: 'ea' },
  'item.updated': { id: 'uuid', sku: 'S1', name: 'Widget v2', baseUom: 'ea' },
  'item.deleted': { id: 'uuid', sku: 'S1', archived: true },
  'location.created': { id: 'uuid', site: 'Berlin', name: 'A-01' },
  'location.updated': { id: 'uuid', site: 'Berlin', name: 'A-02' },
  'location.deleted': { id: 'uuid', site: 'Berlin', name: 'A-01', archived: false },
  'movement.posted': {
    id: 'uuid',
    type: 'receipt',
    reference: 'PO-1',
    lineCount: 1,
    lines: [{ itemId: 'uuid', qtyBase: '24' }],
  },
  'inventory.updated': {
    movementId: 'uuid',
    balances: [
      { itemId: 'uuid', locationId: 'uuid', lotCode: null, qty: '24', reserved: '4', available: '20' },
    ],
  },
  'inventory.low_stock': {
    itemId: 'uuid',
    locationId: 'uuid',
    onHand: '12',
    reserved: '4',
    available: '8',
    reorderPoint: '10',
    reorderQty: '50',
  },
  'inventory.restocked': {
    itemId: 'uuid',
    locationId: 'uuid',
    onHand: '62',
    reserved: '4',
    available: '58',
    reorderPoint: '10',
    reorderQty: '50',
  },
  'reservation.created': {
    id: 'uuid',
    reference: 'SO-10042',
    status: 'active',
    expiresAt: null,
    lines: [{ itemId: 'uuid', locationId: 'uuid', lotCode: null, qty: '4', openQty: '4' }],
  },
  'reservation.consumed': {
    reservationId: 'uuid',
    reference: 'SO-10042',
    movementId: 'uuid',
    consumed: [{ itemId: 'uuid', locationId: 'uuid', lotCode: null, qty: '4' }],
    reservation: { id: 'uuid', status: 'consumed' },
  },
  'reservation.released': {
    reservationId: 'uuid',
    reference: 'SO-10042',
    released: [{ itemId: 'uuid', locationId: 'uuid', lotCode: null, qty: '1' }],
    reservation: { id: 'uuid', status: 'active' },
  },
  'reservation.expired': {
    reservationId: 'uuid',
    reference: 'SO-10042',
    reservation: { id: 'uuid', status: 'expired' },
  },
  'count.started': { id: 'uuid', countNumber: 'CNT-000001' },
  'count.submitted': { id: 'uuid', countNumber: 'CNT-000001' },
  'count.posted': { id: 'uuid', countNumber: 'CNT-000001', movementId: 'uuid' },
  'webhook.test': { endpointId: 'uuid', message: 'test' },
};

interface CatalogEntry {
  description: string;
  example: Record<string, unknown>;
}

const isSubscribable = (type: EventType): type is SubscribableEventType => EVENT_TYPES[type].subscribable;

/**
 * Every event type a webhook endpoint can subscribe to (docs/api-contract.md, "Webhooks"), with an example of its
 * `data`: the subscribable types of the outbox catalogue (src/platform/outbox/event-types.ts), in its order.
 */
export const EVENT_CATALOG = Object.fromEntries(
  EVENT_TYPE_NAMES.filter(isSubscribable).map((type) => [
    type,
    { description: EVENT_TYPES[type].description, example: EXAMPLES[type] },
  ]),
) as Readonly<Record<SubscribableEventType, CatalogEntry>>;

/** The subscribable types as plain strings: an endpoint's `events` arrive unchecked and are validated against them. */
export const SUBSCRIBABLE_EVENT_TYPES: readonly string[] = Object.keys(EVENT_CATALOG);
