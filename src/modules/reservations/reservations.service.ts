import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { requestFingerprint } from '../../platform/http/idempotency/request-fingerprint.js';
import { pageFromRows } from '../../platform/http/pagination/keyset-sql.js';
import { type Page, decodeCursor } from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { RESERVATIONS } from '../../platform/observability/metric-names.js';
import type {
  ChangeReservationDto,
  CreateReservationDto,
  ReleaseReservationDto,
  ReservationQueryDto,
  ReservationView,
} from './dto/reservation.dto.js';
import { type CreatedReservation, ReservationsRepository } from './reservations.repository.js';

/**
 * Reservations. The rules (what fits available, what a release may take, when a reservation is over) are
 * PostgreSQL's, in the transaction that changes them (db/functions/change_stock.sql and the reservation
 * functions); this service passes the validated request through and maps "no such reservation" to 404.
 */
@Injectable()
export class ReservationsService {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly context: TenantContext,
    private readonly tx: TenantTransactions,
    @InjectMetric(RESERVATIONS) private readonly events: Counter<'event'>,
  ) {
    // Every series from the start, so that a rate() over a fresh process has a zero to start from.
    for (const event of ['created', 'consumed', 'released', 'expired']) this.events.inc({ event }, 0);
  }

  async create(
    input: CreateReservationDto,
    idempotencyKey: string | undefined,
    request: { method: string; route: string },
  ): Promise<CreatedReservation> {
    const actor = this.context.actor;
    const result = await this.reservations.reserve({
      tenantId: this.context.tenantId,
      actorId: actor.id,
      actorKind: actor.kind,
      idempotencyKey: idempotencyKey ?? null,
      fingerprint: idempotencyKey ? requestFingerprint(request.method, request.route, input) : null,
      reservation: input,
      auditOrigin: this.context.auditOrigin,
    });
    if (!result.replayed) this.events.inc({ event: 'created' });
    return result;
  }

  async get(id: string): Promise<ReservationView> {
    return found(id, await this.tx.run(() => this.reservations.document(this.context.tenantId, id)));
  }

  list(query: ReservationQueryDto): Promise<Page<ReservationView>> {
    const cursor = decodeCursor(query.cursor);
    const after = cursor && [cursor.createdAt, cursor.id];
    return this.tx.run(async () => {
      const rows = await this.reservations.list(this.context.tenantId, query, after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (row) => [row.createdAt, row.document.id],
        (row) => row.document,
      );
    });
  }

  async changeExpiry(id: string, input: ChangeReservationDto): Promise<ReservationView> {
    const document = await this.tx.run(() =>
      this.reservations.changeExpiry(this.context.tenantId, id, input.expiresAt),
    );
    return found(id, document);
  }

  async release(id: string, input: ReleaseReservationDto): Promise<ReservationView> {
    const document = found(
      id,
      await this.tx.run(() => this.reservations.release(this.context.tenantId, id, input.lines ?? null)),
    );
    this.events.inc({ event: 'released' });
    return document;
  }
}

function found(id: string, document: ReservationView | null): ReservationView {
  if (!document) throw new DomainException('not-found', `No reservation ${id}`);
  return document;
}
