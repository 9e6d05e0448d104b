import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { type ProblemCore as MappedProblem, problemOf } from './problem-details.js';

interface PostgresErrorLike {
  code?: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  table?: string;
  message?: string;
}

/** Connection exceptions (08), admin/crash shutdown (57P01-57P03) and too many connections (53300). */
const CONNECTION_FAILURE = /^(08|57P0[1-3]|53300)/;

/**
 * Maps a PostgreSQL error to a problem, its status and title from the catalogue (problem-types.ts). The one
 * place SQLSTATEs are interpreted; callers get undefined for errors that are not the client's fault (they
 * become a 500). Constraint and table names are reported, never the SQL or the values.
 */
export function mapPostgresError(error: unknown): (MappedProblem & Record<string, unknown>) | undefined {
  const pgError = postgresErrorOf(error);
  if (pgError?.code) {
    const where = pgError.constraint ? ` (${pgError.constraint})` : '';
    switch (pgError.code) {
      case 'IES01':
      case 'IES02': {
        // Raised by change_stock(): DETAIL names the key and the quantities (available before, requested).
        const shortage = parseDetail(pgError.detail) as
          | {
              itemId?: string;
              locationId?: string;
              lotCode?: string | null;
              available?: string;
              requested?: string;
            }
          | undefined;
        const onHand = pgError.code === 'IES01';
        return {
          ...problemOf(
            onHand ? 'insufficient-stock' : 'insufficient-available',
            `Not enough ${onHand ? 'stock' : 'available stock'} of item ${shortage?.itemId ?? '?'} at location ` +
              `${shortage?.locationId ?? '?'}${shortage?.lotCode ? ` (lot ${shortage.lotCode})` : ''}: ` +
              `${shortage?.available ?? '?'} available, ${shortage?.requested ?? '?'} requested`,
          ),
          itemId: shortage?.itemId,
          locationId: shortage?.locationId,
          lotCode: shortage?.lotCode ?? null,
          available: shortage?.available,
          requested: shortage?.requested,
        };
      }
      case 'IER01': {
        // Raised where a reservation is consumed, released or changed: DETAIL names it and its status.
        const state = parseDetail(pgError.detail) as { reservationId?: string; status?: string } | undefined;
        return {
          ...problemOf(
            'reservation-not-active',
            `Reservation ${state?.reservationId ?? '?'} is ${state?.status ?? 'not active'}; only an active ` +
              'reservation can be consumed, released or changed',
          ),
          reservationId: state?.reservationId,
          reservationStatus: state?.status,
        };
      }
      case 'IER02': {
        // Raised by release_reservation(): DETAIL names the key, what is open and what was asked.
        const excess = parseDetail(pgError.detail) as
          | {
              itemId?: string;
              locationId?: string;
              lotCode?: string | null;
              open?: string;
              requested?: string;
            }
          | undefined;
        return {
          ...problemOf(
            'release-exceeds-open',
            `The reservation has ${excess?.open ?? '?'} open of item ${excess?.itemId ?? '?'} at location ` +
              `${excess?.locationId ?? '?'}${excess?.lotCode ? ` (lot ${excess.lotCode})` : ''}; ` +
              `${excess?.requested ?? '?'} cannot be released`,
          ),
          itemId: excess?.itemId,
          locationId: excess?.locationId,
          lotCode: excess?.lotCode ?? null,
          open: excess?.open,
          requested: excess?.requested,
        };
      }
      case 'IEV01': {
        // Raised by post_movement(): DETAIL is the list of { field, message }.
        const errors = (parseDetail(pgError.detail) ?? []) as { field: string; message: string }[];
        return { ...problemOf('validation-failed', `${errors.length} field(s) failed validation`), errors };
      }
      case 'IEI09':
        return problemOf(
          'idempotency-in-flight',
          'A request with this Idempotency-Key is still being processed; retry shortly',
        );
      case 'IEI22':
        return problemOf(
          'idempotency-key-reused',
          'This Idempotency-Key was used with a different request within 24 h',
        );
      case 'IEA01':
        return problemOf('ledger-append-only', 'Ledger entries cannot change; post a correcting movement');
      case 'IEA02':
        return problemOf('audit-append-only', 'Audit entries cannot change or be deleted');
      case 'IEL01':
        // Raised by enforce_tenant_limit(): DETAIL is the limit's name, HINT its value.
        return problemOf(
          'limit-exceeded',
          `The tenant's limit ${pgError.detail ?? ''} of ${pgError.hint ?? '?'} is reached`,
        );
      case '23505':
        return problemOf('conflict', `A record with the same unique key already exists${where}`);
      case '23503':
        return problemOf(
          'conflict',
          `The record refers to, or is referred to by, a record that does not allow this${where}`,
        );
      case '23514':
        return problemOf('constraint-violated', `A value breaks a rule of the data model${where}`);
      case '23502':
        return problemOf(
          'constraint-violated',
          `A required value is missing${pgError.table ? ` in ${pgError.table}` : ''}`,
        );
      case '22P02':
      case '22007':
      case '22008':
        return problemOf('invalid-value', 'A value has the wrong format');
      case '22003':
        return problemOf('invalid-value', 'A number is out of range');
      // character_not_in_repertoire / untranslatable_character: PostgreSQL stores no U+0000 in text or jsonb,
      // the one character a JavaScript string can carry that it refuses (found by the fuzz suite: was a 500).
      case '22021':
      case '22P05':
        return problemOf('invalid-value', 'A text value contains a character that cannot be stored (U+0000)');
      case '22001':
        return problemOf('invalid-value', 'A value is too long');
      case '40001':
      case '40P01':
        return problemOf('concurrent-update', 'A concurrent change interfered; retry the request');
      case '57014':
        return problemOf('database-timeout', 'The database did not answer in time; retry later');
    }
    if (CONNECTION_FAILURE.test(pgError.code)) return databaseUnavailable();
  }
  if (isConnectionError(error)) return databaseUnavailable();
  return undefined;
}

function databaseUnavailable(): MappedProblem {
  return problemOf('database-unavailable', 'The database is not reachable; retry later');
}

/** TypeORM wraps driver errors in QueryFailedError with the original as `driverError`. */
function postgresErrorOf(error: unknown): PostgresErrorLike | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = (error as { driverError?: unknown }).driverError ?? error;
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const code = (candidate as PostgresErrorLike).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? candidate : undefined;
}

function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // TypeORM releases a query runner whose connection emitted 'error' (the server went away in the middle of a
  // transaction); the transaction's next query or its COMMIT then throws one of these instead of a driver error.
  if (
    error instanceof QueryRunnerAlreadyReleasedError ||
    error instanceof QueryRunnerProviderAlreadyReleasedError
  )
    return true;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)
  )
    return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established/i.test(
      message,
    )
  );
}

function parseDetail(detail: string | undefined): unknown {
  if (!detail) return undefined;
  try {
    return JSON.parse(detail);
  } catch {
    return undefined;
  }
}
