import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Secrets the operator did not configure (embedded database passwords, later the JWT signing key) are
 * generated once and kept in DATA_DIR/secrets with mode 0600, so a restart reuses them. Production
 * deployments configure them explicitly instead.
 */
export class SecretStore {
  constructor(private readonly directory: string) {}

  getOrCreate(name: string, generate: () => string = () => randomBytes(32).toString('base64url')): string {
    const file = join(this.directory, name);
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Only the secrets directory itself is private; its parents keep the default mode.
    mkdirSync(dirname(this.directory), { recursive: true });
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const value = generate();
    try {
      // 'wx' fails if another process created it in the meantime; then theirs wins.
      writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
      return value;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
      throw error;
    }
  }
}
