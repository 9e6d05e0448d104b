import { randomUUID } from 'node:crypto';
import type { Fixture, FixtureItem } from './fixture.js';

/** Quantities in micro-units (6 decimals), so that no float ever adds them up. */
export function micro(quantity: string): bigint {
  const negative = quantity.startsWith('-');
  const [whole, fraction = ''] = quantity.replace(/^-/, '').split('.');
  const value = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
  return negative ? -value : value;
}

export function keyOf(itemId: string, locationId: string, lotCode: string | null): string {
  return `${itemId}|${locationId}|${lotCode ?? ''}`;
}

interface LedgerLine {
  itemId: string;
  locationId: string;
  lotCode: string | null;
  qtyBase: string;
}

interface MovementBody {
  id: string;
  lines: LedgerLine[];
}

/**
 * What the clients were told: every movement acknowledged to them (a 201 of POST /api/inventory/movements or
 * the movement of a 200 count approval), with the ledger lines the answer listed.
 */
export class AcknowledgedLedger {
  readonly movements = new Map<string, LedgerLine[]>();
  /** The same movement acknowledged twice (an idempotent replay): must carry the same lines. */
  replayedAcknowledgements = 0;

  add(movement: MovementBody): void {
    const known = this.movements.get(movement.id);
    if (known) {
      this.replayedAcknowledgements += 1;
      if (JSON.stringify(known) !== JSON.stringify(movement.lines))
        throw new Error(`movement ${movement.id} acknowledged twice with different lines`);
      return;
    }
    this.movements.set(movement.id, movement.lines);
  }

  lineCount(): number {
    let lines = 0;
    for (const movement of this.movements.values()) lines += movement.length;
    return lines;
  }

  /** Sum of qtyBase per (item, location, lot) over every acknowledged line. */
  balances(): Map<string, bigint> {
    const sums = new Map<string, bigint>();
    for (const lines of this.movements.values()) {
      for (const line of lines) {
        const key = keyOf(line.itemId, line.locationId, line.lotCode);
        sums.set(key, (sums.get(key) ?? 0n) + micro(line.qtyBase));
      }
    }
    return sums;
  }
}

/** One HTTP answer as the clients saw it (for latency figures and the outage window). */
export interface Sample {
  /** Date.now() when the answer (or the transport error) arrived. */
  at: number;
  ms: number;
  /** 0: no answer (connection refused or reset, timeout). */
  status: number;
  problemType?: string;
  problemJson: boolean;
}

export interface WorkloadStats {
  /** Requests the clients made (each counted once, however often it was retried). */
  requests: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  byStatus: Record<string, number>;
  movementsPosted: number;
  insufficientStock: number;
  /** 409 insufficient-available: an issue, transfer or reservation beyond what is not reserved. */
  insufficientAvailable: number;
  reservationsCreated: number;
  /** Issues that named a reservation and were posted. */
  reservationsConsumed: number;
  reservationsReleased: number;
  /** 409 reservation-not-active or release-exceeds-open: the reservation was used up by another client first. */
  reservationConflicts: number;
  countsApproved: number;
  countAdjustments: number;
  /** Attempts that got no HTTP answer (refused, reset, timed out). */
  transportErrors: number;
  timeouts: number;
  /** 503 answers (the request was then retried with the same Idempotency-Key). */
  unavailable: number;
  /** 409 idempotency-in-flight answers (retried shortly). */
  inFlight: number;
  /** 409 concurrent-update answers (a deadlock or serialization failure; retried). */
  concurrentUpdates: number;
  /** Requests that lost an answer at least once and were retried with their Idempotency-Key. */
  retriedAfterNoAnswer: number;
  /** ... of which the retry replayed the original answer (the original had committed). */
  replayedAfterNoAnswer: number;
  retriedAfter503: number;
  replayedAfter503: number;
  /** Answers that no scenario expects (5xx other than 503, unexpected 4xx), with a short description. */
  unexpected: string[];
}

export interface WorkloadOptions {
  /** Base URL for the next request (several replicas: round robin). */
  base: () => string;
  fixture: Fixture;
  clients: number;
  /** Include count sheets (create, start, enter lines, submit, approve). */
  counts: boolean;
  /** Include reservations out of bins: created, shipped by issues that name them, released. */
  reservations?: boolean;
  /** A request is given up (and the scenario fails) when it has no final answer after this long. */
  giveUpAfterMs?: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
const COUNT_SHARE = 0.03;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

interface Final {
  status: number;
  body: Record<string, unknown> | undefined;
}

/**
 * N concurrent clients posting random receipts, issues, transfers and count sheets until stopped. Every POST
 * carries a fresh Idempotency-Key; a request without an answer (transport error), with a 503 or with a 409
 * idempotency-in-flight is retried with the same key and body until it gets a final answer, as a careful client
 * does. On stop, every client finishes its current request (with retries), so every request ends answered.
 */
export class Workload {
  readonly ledger = new AcknowledgedLedger();
  readonly samples: Sample[] = [];
  readonly stats: WorkloadStats = {
    requests: 0,
    attempts: 0,
    byStatus: {},
    movementsPosted: 0,
    insufficientStock: 0,
    insufficientAvailable: 0,
    reservationsCreated: 0,
    reservationsConsumed: 0,
    reservationsReleased: 0,
    reservationConflicts: 0,
    countsApproved: 0,
    countAdjustments: 0,
    transportErrors: 0,
    timeouts: 0,
    unavailable: 0,
    inFlight: 0,
    concurrentUpdates: 0,
    retriedAfterNoAnswer: 0,
    replayedAfterNoAnswer: 0,
    retriedAfter503: 0,
    replayedAfter503: 0,
    unexpected: [],
  };
  startedAt = 0;
  stoppedAt = 0;
  private stopping = false;
  private clients: Promise<void>[] = [];
  /** One count at a time per zone: see countZone(). */
  private readonly busyZones = new Set<string>();
  /** Reservations created so far, with their lines: what an issue ships or a release gives back. */
  private readonly reservations: { id: string; lines: Record<string, unknown>[] }[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  start(): void {
    this.startedAt = Date.now();
    this.clients = Array.from({ length: this.options.clients }, () => this.client());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.clients);
    this.stoppedAt = Date.now();
  }

  /** Latencies (ms) of the answered attempts, sorted. */
  latencies(from = 0, to = Number.MAX_SAFE_INTEGER): number[] {
    return this.samples
      .filter((sample) => sample.status > 0 && sample.at >= from && sample.at <= to)
      .map((sample) => sample.ms)
      .sort((a, b) => a - b);
  }

  private async client(): Promise<void> {
    while (!this.stopping) {
      const roll = Math.random();
      const zone = this.options.counts && roll < COUNT_SHARE ? this.freeZone() : undefined;
      if (zone) {
        this.busyZones.add(zone);
        try {
          await this.countZone(zone);
        } finally {
          this.busyZones.delete(zone);
        }
      } else if (this.options.reservations && roll < 0.15) {
        await this.reservationWork(roll);
      } else if (roll < 0.4) {
        await this.post('receipt', this.receiptLines());
      } else if (roll < 0.7) {
        await this.post('issue', this.issueLines());
      } else {
        await this.post('transfer', [this.transferLine()]);
      }
    }
  }

  private freeZone(): string | undefined {
    return this.options.fixture.zones.find((zone) => !this.busyZones.has(zone));
  }

  private quantity(item: FixtureItem, max: number): { qty: string; uom?: string } {
    if (item.decimals) return { qty: (between(1, max * 1000) / 1000).toFixed(3) };
    if (item.uoms.length > 0 && Math.random() < 0.3)
      return { qty: String(between(1, 2)), uom: item.uoms[0].code };
    return { qty: String(between(1, max)) };
  }

  private line(item: FixtureItem, locationId: string, max: number): Record<string, unknown> {
    return {
      itemId: item.id,
      locationId,
      ...(item.lotTracked && { lotCode: pick(['L1', 'L2', 'L3']) }),
      ...this.quantity(item, max),
    };
  }

  /** 1 to 3 lines of distinct items, mostly into bins, sometimes into a count zone. */
  private receiptLines(): Record<string, unknown>[] {
    const { items, bins, zones } = this.options.fixture;
    const chosen = [...items].sort(() => Math.random() - 0.5).slice(0, between(1, 3));
    return chosen.map((item) => this.line(item, Math.random() < 0.15 ? pick(zones) : pick(bins), 20));
  }

  /** 1 or 2 lines of distinct items out of bins, about as much as receipts bring: some are refused (409). */
  private issueLines(): Record<string, unknown>[] {
    const { items, bins } = this.options.fixture;
    const chosen = [...items].sort(() => Math.random() - 0.5).slice(0, between(1, 2));
    return chosen.map((item) => this.line(item, pick(bins), 40));
  }

  /** Bin to bin, or bin to a count zone (zones only ever receive; stock leaves them through counts only). */
  private transferLine(): Record<string, unknown> {
    const { items, bins, zones } = this.options.fixture;
    const from = pick(bins);
    const to = Math.random() < 0.2 ? pick(zones) : pick(bins.filter((bin) => bin !== from));
    return { ...this.line(pick(items), from, 8), toLocationId: to };
  }

  private async post(type: string, lines: Record<string, unknown>[]): Promise<void> {
    const answer = await this.request('POST', '/api/inventory/movements', {
      type,
      reference: `rel-${type}`,
      lines,
    });
    if (answer.status === 201) {
      this.stats.movementsPosted += 1;
      this.ledger.add(answer.body as unknown as MovementBody);
    } else if (answer.status === 409 && answer.body?.type === 'insufficient-stock' && type !== 'receipt') {
      this.stats.insufficientStock += 1;
    } else if (
      answer.status === 409 &&
      answer.body?.type === 'insufficient-available' &&
      type !== 'receipt'
    ) {
      this.stats.insufficientAvailable += 1;
    } else {
      this.unexpected(`POST movement ${type}`, answer);
    }
  }

  /**
   * Reservations out of bins (counts never touch bins, so nothing but them and movements changes a bin's
   * available): a new one of 1 or 2 lines (most of the time), an issue shipping a reservation's lines, or a
   * release of everything still open. A reservation another client shipped or released first is a 409.
   */
  private async reservationWork(roll: number): Promise<void> {
    const existing = this.reservations.length > 0 ? pick(this.reservations) : undefined;
    if (!existing || roll < 0.08) {
      const lines = this.issueLines().map((line) => ({
        ...line,
        qty: String(between(1, 5)),
        uom: undefined,
      }));
      const answer = await this.request('POST', '/api/inventory/reservations', {
        reference: 'rel-order',
        lines,
      });
      if (answer.status === 201) {
        this.stats.reservationsCreated += 1;
        this.reservations.push({ id: answer.body!.id as string, lines });
      } else if (answer.status === 409 && answer.body?.type === 'insufficient-available') {
        this.stats.insufficientAvailable += 1;
      } else {
        this.unexpected('POST reservation', answer);
      }
    } else if (roll < 0.13) {
      const answer = await this.request('POST', '/api/inventory/movements', {
        type: 'issue',
        reference: 'rel-ship',
        reservationId: existing.id,
        lines: existing.lines,
      });
      if (answer.status === 201) {
        this.stats.movementsPosted += 1;
        this.stats.reservationsConsumed += 1;
        this.ledger.add(answer.body as unknown as MovementBody);
      } else if (answer.status === 409 && answer.body?.type === 'reservation-not-active') {
        this.stats.reservationConflicts += 1;
      } else if (
        answer.status === 409 &&
        (answer.body?.type === 'insufficient-available' || answer.body?.type === 'insufficient-stock')
      ) {
        this.stats.insufficientAvailable += 1;
      } else {
        this.unexpected('POST movement shipping a reservation', answer);
      }
    } else {
      const answer = await this.request('POST', `/api/inventory/reservations/${existing.id}/release`, {});
      if (answer.status === 200) this.stats.reservationsReleased += 1;
      else if (answer.status === 409 && answer.body?.type === 'reservation-not-active')
        this.stats.reservationConflicts += 1;
      else this.unexpected('POST release', answer);
    }
  }

  /**
   * A whole count of one zone: create, start, count some snapshot lines (or found stock), submit, approve. A
   * zone only receives stock outside counts and is counted by one sheet at a time, so an approval (which the
   * negative-stock rule does not check: a count states what is there) leaves the balance at the counted
   * quantity plus what arrived after the line was entered, never below zero.
   */
  private async countZone(zone: string): Promise<void> {
    const created = await this.request('POST', '/api/counts', { name: 'reliability', locationIds: [zone] });
    if (created.status !== 201) return this.unexpected('POST count', created);
    const id = created.body!.id as string;
    const started = await this.request('POST', `/api/counts/${id}/start`, {});
    if (started.status !== 200) return this.unexpected('start count', started);
    const snapshot = (started.body!.lines ?? []) as {
      itemId: string;
      lotCode: string | null;
      expectedQty: string;
    }[];
    const { items } = this.options.fixture;
    const lines = snapshot
      .filter(() => Math.random() < 0.7)
      .map((line) => {
        const item = items.find((candidate) => candidate.id === line.itemId)!;
        const counted = Math.random() * (Number(line.expectedQty) + 5);
        return {
          itemId: line.itemId,
          locationId: zone,
          ...(line.lotCode !== null && { lotCode: line.lotCode }),
          countedQty: item.decimals ? counted.toFixed(3) : String(Math.floor(counted)),
        };
      });
    if (lines.length === 0) {
      const item = pick(items.filter((candidate) => !candidate.lotTracked));
      lines.push({ itemId: item.id, locationId: zone, countedQty: String(between(1, 5)) });
    }
    const entered = await this.request('PUT', `/api/counts/${id}/lines`, { lines });
    if (entered.status !== 200) return this.unexpected('PUT count lines', entered);
    const submitted = await this.request('POST', `/api/counts/${id}/submit`, {});
    if (submitted.status !== 200) return this.unexpected('submit count', submitted);
    const approved = await this.request('POST', `/api/counts/${id}/approve`, {});
    if (approved.status !== 200) return this.unexpected('approve count', approved);
    this.stats.countsApproved += 1;
    const movement = approved.body!.movement as MovementBody | null;
    if (movement) {
      this.stats.countAdjustments += 1;
      this.ledger.add(movement);
    }
  }

  private unexpected(what: string, answer: Final): void {
    if (this.stats.unexpected.length < 50)
      this.stats.unexpected.push(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    else this.stats.unexpected.push('...');
  }

  /** Sends until a final answer; see the class comment for what is retried. */
  private async request(method: string, path: string, body: unknown): Promise<Final> {
    this.stats.requests += 1;
    const key = method === 'POST' ? randomUUID() : undefined;
    const giveUpAt = Date.now() + (this.options.giveUpAfterMs ?? 180_000);
    let lostAnswer = false;
    let got503 = false;
    for (;;) {
      if (Date.now() > giveUpAt) {
        this.stats.unexpected.push(
          `${method} ${path}: no final answer in ${this.options.giveUpAfterMs ?? 180_000} ms`,
        );
        return { status: 0, body: undefined };
      }
      this.stats.attempts += 1;
      const started = performance.now();
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${this.options.base()}${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${this.options.fixture.token}`,
            ...(key && { 'idempotency-key': key }),
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        text = await response.text();
      } catch (error) {
        this.stats.transportErrors += 1;
        if ((error as Error).name === 'TimeoutError') this.stats.timeouts += 1;
        this.samples.push({ at: Date.now(), ms: performance.now() - started, status: 0, problemJson: false });
        lostAnswer = true;
        await sleep(100);
        continue;
      }
      const ms = performance.now() - started;
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        parsed = { unparsable: text.slice(0, 200) };
      }
      const problemJson = (response.headers.get('content-type') ?? '').startsWith('application/problem+json');
      const problemType =
        typeof parsed?.type === 'string' && response.status >= 400 ? parsed.type : undefined;
      this.samples.push({ at: Date.now(), ms, status: response.status, problemType, problemJson });
      this.stats.byStatus[response.status] = (this.stats.byStatus[response.status] ?? 0) + 1;
      if (response.status === 503) {
        this.stats.unavailable += 1;
        got503 = true;
        await sleep(200);
        continue;
      }
      if (response.status === 409 && problemType === 'idempotency-in-flight') {
        this.stats.inFlight += 1;
        await sleep(50);
        continue;
      }
      if (response.status === 409 && problemType === 'concurrent-update') {
        // A deadlock or serialization failure rolled the request back (with its key): retry, as the API says.
        this.stats.concurrentUpdates += 1;
        await sleep(50);
        continue;
      }
      const replayed = response.headers.get('idempotent-replayed') === 'true';
      if (lostAnswer) {
        this.stats.retriedAfterNoAnswer += 1;
        if (replayed) this.stats.replayedAfterNoAnswer += 1;
      } else if (got503) {
        this.stats.retriedAfter503 += 1;
        if (replayed) this.stats.replayedAfter503 += 1;
      }
      return { status: response.status, body: parsed };
    }
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
