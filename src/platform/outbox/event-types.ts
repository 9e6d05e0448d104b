/**
 * Every domain event type the service writes to `outbox_events`: the one list of them. TypeScript producers are
 * typed by it (OutboxService.record, the counts and webhooks repositories); SQL cannot import it, so
 * test/sql/event-types.sql-spec.ts checks that db/functions writes exactly the types marked `producedIn: 'sql'`.
 * The webhooks feature builds its catalogue (GET /api/webhooks/events) from the subscribable ones. The order here
 * is the order of that catalogue.
 */
export interface EventTypeDefinition {
  /** What happened, as the webhook catalogue describes it. */
  description: string;
  /** Who writes it to outbox_events. */
  producedBy: string;
  /** Where that code lives: `sql` types are written by a db/functions/*.sql function. */
  producedIn: 'typescript' | 'sql';
  /** Whether a webhook endpoint may subscribe to it. */
  subscribable: boolean;
}

export const EVENT_TYPES = {
  'item.created': {
    description: 'An item was created',
    producedBy: 'items: ItemsService.create (OutboxService)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'item.updated': {
    description: 'An item changed',
    producedBy: 'items: ItemsService.update (OutboxService)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'item.deleted': {
    description: 'An item was deleted, or archived when it has stock history',
    producedBy: 'items: ItemsService.delete (OutboxService)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'location.created': {
    description: 'A location was created',
    producedBy: 'locations: LocationsService.create (OutboxService)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'location.updated': {
    description: 'A location changed',
    producedBy: 'locations: LocationsService.update (OutboxService)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'location.deleted': {
    description: 'A location was deleted, or archived when it has stock history',
    producedBy: 'locations: LocationsService.delete (OutboxService)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'movement.posted': {
    description: 'A movement was posted; data is the movement with its ledger lines',
    producedBy: 'post_movement() (db/functions/post_movement.sql), for movements and count adjustments',
    producedIn: 'sql',
    subscribable: true,
  },
  'inventory.updated': {
    description:
      'Balances changed; data lists the changed balances after the movement, each with reserved and available',
    producedBy: 'post_movement() (db/functions/post_movement.sql), with movement.posted',
    producedIn: 'sql',
    subscribable: true,
  },
  'inventory.low_stock': {
    description:
      "An item's available at a location went from above its reorder point to at or below it (once per crossing)",
    producedBy: 'change_stock() (db/functions/change_stock.sql), in the transaction that crossed',
    producedIn: 'sql',
    subscribable: true,
  },
  'inventory.restocked': {
    description: "An item's available at a location went back above its reorder point",
    producedBy: 'change_stock() (db/functions/change_stock.sql), in the transaction that crossed',
    producedIn: 'sql',
    subscribable: true,
  },
  'reservation.created': {
    description: 'Stock was reserved; data is the reservation',
    producedBy: 'reserve_stock() (db/functions/reserve_stock.sql)',
    producedIn: 'sql',
    subscribable: true,
  },
  'reservation.consumed': {
    description:
      'A movement consumed part or all of a reservation; data names the movement and what it consumed',
    producedBy: 'the ledger trigger (db/functions/apply_ledger_to_balances.sql)',
    producedIn: 'sql',
    subscribable: true,
  },
  'reservation.released': {
    description: 'Part or all of a reservation was released; data names what was released',
    producedBy: 'release_reservation() (db/functions/release_reservation.sql)',
    producedIn: 'sql',
    subscribable: true,
  },
  'reservation.expired': {
    description: "A reservation's expiresAt passed and the expiry job marked it; its open quantity lapsed",
    producedBy:
      'expire_reservations() (db/functions/expire_reservations.sql), run by the reservation-expiry job',
    producedIn: 'sql',
    subscribable: true,
  },
  'count.started': {
    description: 'A count sheet was started',
    producedBy: 'counts: CountsService.start (CountsRepository.insertOutboxEvent)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'count.submitted': {
    description: 'A count sheet was submitted',
    producedBy: 'counts: CountsService.submit (CountsRepository.insertOutboxEvent)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'count.posted': {
    description: 'A count sheet was approved and its adjustment posted',
    producedBy: 'counts: CountsService.approve (CountsRepository.insertOutboxEvent)',
    producedIn: 'typescript',
    subscribable: true,
  },
  'webhook.test': {
    description: 'Sent by POST /api/webhooks/:id/test',
    producedBy: 'webhooks: WebhooksService.sendTest (WebhookEndpointsRepository.insertTestEvent)',
    producedIn: 'typescript',
    subscribable: true,
  },
} as const satisfies Record<string, EventTypeDefinition>;

export type EventType = keyof typeof EVENT_TYPES;

/** The types a webhook endpoint may subscribe to (`subscribable: true`). */
export type SubscribableEventType = {
  [Type in EventType]: (typeof EVENT_TYPES)[Type]['subscribable'] extends true ? Type : never;
}[EventType];

/** Every type, in catalogue order (Object.keys types its result as string[], hence the cast). */
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as readonly EventType[];
