import {
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { TenantTransactions } from '../../tenancy/tenant-transactions.js';
import { isSingleStatement } from '../../tenancy/tenant-transaction.interceptor.js';
import { ACCESS_RULE, type AccessRule } from '../../access/access.decorators.js';
import { DomainException } from '../problem-details/problem-details.js';
import { requestFingerprint } from './request-fingerprint.js';

const SECRET_FIELDS = 'inventory-enterprise:idempotency-secret-fields';

/**
 * Fields of the response that are secrets shown once (an API key, a webhook secret): they are not stored with
 * the idempotency record, and a replay answers without them.
 */
export const SecretInResponse = (...fields: string[]): MethodDecorator => SetMetadata(SECRET_FIELDS, fields);

interface StoredResponse {
  fingerprint: string;
  response_status: number | null;
  response_body: unknown;
  expired: boolean;
}

/**
 * Idempotency-Key for every mutating POST that runs in a tenant transaction (docs/api-contract.md, "Idempotency-Key"). The key is
 * claimed by the first statement of the request's own transaction, so the record commits with the work or not
 * at all: a failed first attempt leaves nothing, and a retry runs afresh. A concurrent duplicate waits at most
 * 100 ms on the claim and then gets 409; a later duplicate gets the stored response; another body gets 422.
 * (POST /api/inventory/movements does the same inside post_movement(), in its one round trip.)
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly tx: TenantTransactions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const key = request.header('idempotency-key');
    if (request.method !== 'POST' || key === undefined) return next.handle();
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (rule?.kind !== 'authenticated' && rule?.kind !== 'permissions') return next.handle();
    if (isSingleStatement(this.reflector, context)) return next.handle();
    if (key.length < 1 || key.length > 255) {
      throw new DomainException('bad-request', 'Idempotency-Key must be 1-255 characters');
    }
    // The actual path, not the route template: the same key and body sent to /x/A and to /x/B differ.
    const fingerprint = requestFingerprint(request.method, request.path, request.body);
    const secretFields = this.reflector.get<string[] | undefined>(SECRET_FIELDS, context.getHandler()) ?? [];
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    const response = context.switchToHttp().getResponse<Response>();
    return from(this.handle(key, fingerprint, status, secretFields, response, next));
  }

  private handle(
    key: string,
    fingerprint: string,
    status: number,
    secretFields: string[],
    response: Response,
    next: CallHandler,
  ): Promise<unknown> {
    return this.tx.run(async () => {
      const manager = this.tx.manager;
      const [{ previous }] = await manager.query<[{ previous: string }]>(
        `select current_setting('lock_timeout') as previous, set_config('lock_timeout', '100ms', true)`,
      );
      let claimed: unknown[];
      try {
        claimed = await manager.query<unknown[]>(
          `insert into idempotency_keys (tenant_id, key, fingerprint, expires_at)
           values (current_setting('app.tenant_id')::uuid, $1, $2, now() + interval '24 hours')
           on conflict do nothing returning 1`,
          [key, fingerprint],
        );
      } catch (error) {
        if ((error as { driverError?: { code?: string } }).driverError?.code === '55P03') {
          throw new DomainException(
            'idempotency-in-flight',
            'A request with this Idempotency-Key is still being processed; retry shortly',
          );
        }
        throw error;
      }
      await manager.query(`select set_config('lock_timeout', $1, true)`, [previous]);

      if (claimed.length === 0) {
        const [stored] = await manager.query<StoredResponse[]>(
          `select fingerprint, response_status, response_body, expires_at <= now() as expired
             from idempotency_keys where key = $1`,
          [key],
        );
        if (stored && !stored.expired) {
          if (stored.fingerprint !== fingerprint) {
            throw new DomainException(
              'idempotency-key-reused',
              'This Idempotency-Key was used with a different request within 24 h',
            );
          }
          response.status(stored.response_status ?? status);
          response.setHeader('Idempotent-Replayed', 'true');
          return stored.response_body;
        }
        await manager.query(
          `update idempotency_keys set fingerprint = $2, response_status = null, response_body = null,
                  created_at = now(), expires_at = now() + interval '24 hours' where key = $1`,
          [key, fingerprint],
        );
      }
      const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await manager.query(
        `update idempotency_keys set response_status = $2, response_body = $3::jsonb where key = $1`,
        [key, status, JSON.stringify(withoutSecrets(body, secretFields) ?? null)],
      );
      return body;
    });
  }
}

function withoutSecrets(body: unknown, fields: string[]): unknown {
  if (fields.length === 0 || typeof body !== 'object' || body === null) return body;
  return Object.fromEntries(Object.entries(body).filter(([name]) => !fields.includes(name)));
}
