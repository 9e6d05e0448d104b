/** Every event type a webhook endpoint can subscribe to (docs/api-contract.md, "Webhooks"), with an example of its `data`. */
export const EVENT_CATALOG: Record<string, { description: string; example: Record<string, unknown> }> = {
  'item.created': {
    description: 'An item was created',
    example: { id: 'uuid', sku: 'S1', name: 'Widget', baseUom: 'ea' },
  },
  'item.updated': {
    description: 'An item changed',
    example: { id: 'uuid', sku: 'S1', name: 'Widget v2', baseUom: 'ea' },
  },
  'item.deleted': {
    description: 'An item was deleted, or archived when it has stock history',
    example: { id: 'uuid', sku: 'S1', archived: true },
  },
  'location.created': {
    description: 'A location was created',
    example: { id: 'uuid', site: 'Berlin', name: 'A-01' },
  },
  'location.updated': {
    description: 'A location changed',
    example: { id: 'uuid', site: 'Berlin', name: 'A-02' },
  },
  'location.deleted': {
    description: 'A location was deleted, or archived when it has stock history',
    example: { id: 'uuid', site: 'Berlin', name: 'A-01', archived: false },
  },
  'movement.posted': {
    description: 'A movement was posted; data is the movement with its ledger lines',
    example: {
      id: 'uuid',
      type: 'receipt',
      reference: 'PO-1',
      lineCount: 1,
      lines: [{ itemId: 'uuid', qtyBase: '24' }],
    },
  },
  'inventory.updated': {
    description: 'Balances changed; data lists the changed balances after the movement',
    example: {
      movementId: 'uuid',
      balances: [{ itemId: 'uuid', locationId: 'uuid', lotCode: null, qty: '24' }],
    },
  },
  'count.started': {
    description: 'A count sheet was started',
    example: { id: 'uuid', countNumber: 'CNT-000001' },
  },
  'count.submitted': {
    description: 'A count sheet was submitted',
    example: { id: 'uuid', countNumber: 'CNT-000001' },
  },
  'count.posted': {
    description: 'A count sheet was approved and its adjustment posted',
    example: { id: 'uuid', countNumber: 'CNT-000001', movementId: 'uuid' },
  },
  'webhook.test': {
    description: 'Sent by POST /api/webhooks/:id/test',
    example: { endpointId: 'uuid', message: 'test' },
  },
};

export const EVENT_TYPES = Object.keys(EVENT_CATALOG);
