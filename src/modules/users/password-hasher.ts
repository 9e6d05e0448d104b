import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { Injectable } from '@nestjs/common';

/**
 * argon2id (the library's default algorithm; its Algorithm enum is a const enum, unusable under isolatedModules) with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane). Hashing runs on libuv's thread pool,
 * off the event loop.
 */
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

@Injectable()
export class PasswordHasher {
  /** A hash of a random password, verified against when the e-mail is unknown, so timing tells nothing. */
  private dummyHash?: Promise<string>;

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(hashed: string | null | undefined, password: string): Promise<boolean> {
    try {
      this.dummyHash ??= this.hash(randomBytes(24).toString('base64'));
      return await verify(hashed ?? (await this.dummyHash), password);
    } catch {
      return false;
    }
  }
}
