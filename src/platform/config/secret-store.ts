import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    // Written in full under a private name, then linked into place: link() fails if another process got
    // there first (then theirs wins), and nobody ever reads a half-written secret.
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, `${value}\n`, { mode: 0o600 });
    try {
      linkSync(temporary, file);
      return value;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
      throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
  }
}
