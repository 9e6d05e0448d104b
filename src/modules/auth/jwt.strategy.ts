import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Environment } from '../../platform/config/environment.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { JWT_SIGNING_KEY } from './jwt-signing-key.js';

/** What our access tokens carry: user (sub), tenant (tid) and token id (jti). */
export interface AccessTokenClaims {
  sub: string;
  tid: string;
  jti: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class InvalidCredentialsException extends DomainException {
  constructor(detail: string) {
    super('unauthorized', detail);
  }
}

/**
 * passport-jwt verifies signature, expiry, not-before and issuer. Only HS256 is accepted, which rules out
 * `alg: none` and RS/HS key confusion.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(JWT_SIGNING_KEY) signingKey: string, config: ConfigService<Environment, true>) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the string: given a string, jsonwebtoken first tries createPublicKey() on it and
      // only then treats it as an HMAC secret, on every request (measured: 13% of the CPU of a POST).
      // (@types/passport-jwt types it string | Buffer; jsonwebtoken, which receives it, takes a KeyObject.)
      secretOrKey: createSecretKey(Buffer.from(signingKey, 'utf8')) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: config.get('JWT_ISSUER', { infer: true }),
      ignoreExpiration: false,
    });
  }

  validate(payload: Record<string, unknown>): AccessTokenClaims {
    const { sub, tid, jti, exp } = payload;
    // jsonwebtoken checks exp only when present; every token the service issues has one, so one without it
    // (valid forever) is not ours to accept (found by test/e2e/auth-attacks.e2e-spec.ts).
    if (typeof exp !== 'number') throw new InvalidCredentialsException('The access token has no expiry');
    if (
      typeof sub !== 'string' ||
      !UUID.test(sub) ||
      typeof tid !== 'string' ||
      !UUID.test(tid) ||
      typeof jti !== 'string'
    ) {
      throw new InvalidCredentialsException('The access token lacks its sub, tid or jti claim');
    }
    return { sub: sub.toLowerCase(), tid: tid.toLowerCase(), jti };
  }
}

/** Used by AccessGuard (not globally): turns every passport failure into one 401 problem. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<T>(error: unknown, claims: T | false, info: unknown): T {
    if (error instanceof DomainException) throw error;
    if (error || !claims) {
      const reason = info instanceof Error ? info.message : 'invalid access token';
      throw new InvalidCredentialsException(`Invalid access token: ${reason}`);
    }
    return claims;
  }
}
