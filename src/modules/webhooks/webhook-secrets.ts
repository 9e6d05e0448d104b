import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Environment } from '../../platform/config/environment.js';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { SecretStore } from '../../platform/config/secret-store.js';

/**
 * Endpoint secrets (`whsec_` + base64 of 32 random bytes) are stored encrypted with AES-256-GCM under a key from
 * WEBHOOK_SECRET_KEY (or one generated once into DATA_DIR/secrets), so a database dump alone cannot sign.
 */
@Injectable()
export class WebhookSecrets {
  private readonly key: Buffer;

  constructor(config: ConfigService<Environment, true>) {
    const configured = config.get('WEBHOOK_SECRET_KEY', { infer: true });
    const material =
      configured ??
      new SecretStore(
        join(resolveProjectPath(config.get('DATA_DIR', { infer: true })), 'secrets'),
      ).getOrCreate('webhook-secret-key');
    this.key = createHash('sha256').update(material).digest();
  }

  generate(): string {
    return `whsec_${randomBytes(32).toString('base64')}`;
  }

  encrypt(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  decrypt(stored: string): string {
    const raw = Buffer.from(stored, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
