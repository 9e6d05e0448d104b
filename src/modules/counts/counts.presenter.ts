import type { LineRow, OutboxPayload, SheetRow } from './counts.repository.js';
import type { CountLineView, CountSheetView } from './dto/count.dto.js';

const iso = (value: Date | null) => value?.toISOString() ?? null;

/** The list's cursor: the order key of the last sheet shown (created_at, id). */
export const sheetCursorKey = (row: SheetRow): string[] => [row.created_at.toISOString(), row.id];

export function presentSheet(row: SheetRow): CountSheetView {
  return {
    id: row.id,
    countNumber: row.count_number,
    name: row.name,
    locationIds: row.location_ids,
    itemIds: row.item_ids,
    blind: row.blind,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    startedAt: iso(row.started_at),
    submittedAt: iso(row.submitted_at),
    postedAt: iso(row.posted_at),
    cancelledAt: iso(row.cancelled_at),
    movementId: row.movement_id,
  };
}

export function presentLine(row: LineRow, hideExpected: boolean): CountLineView {
  return {
    itemId: row.item_id,
    locationId: row.location_id,
    lotCode: row.lot_code,
    inSnapshot: row.in_snapshot,
    countedQty: row.counted_qty,
    countedAt: iso(row.counted_at),
    ...(!hideExpected && {
      expectedQty: row.expected_qty,
      systemQtyAtEntry: row.system_qty_at_entry,
      variance: row.variance,
    }),
  };
}

/**
 * A sheet with its lines. On a blind sheet the expected quantities (and so the variances) are hidden from a
 * viewer who may not approve counts, so counters count what they see, not what they expect.
 */
export function presentSheetWithLines(
  sheet: SheetRow,
  lines: LineRow[],
  viewerMayApprove: boolean,
): CountSheetView {
  const hideExpected = sheet.blind && !viewerMayApprove;
  return { ...presentSheet(sheet), lines: lines.map((line) => presentLine(line, hideExpected)) };
}

/**
 * The outbox payload of a count event (docs/webhooks.md); `status` is the sheet's as the service passes it, so
 * `count.posted` carries "submitted" (the row read before it was marked posted).
 */
export function presentEvent(sheet: SheetRow): OutboxPayload {
  return {
    id: sheet.id,
    countNumber: sheet.count_number,
    status: sheet.status,
    movementId: sheet.movement_id,
  };
}
