import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Everything verification and restore need to prove a dump file, written next to it as `<name>.json`. The
 * catalogue holds the same; the manifest is what is left when the database holding the catalogue is the one
 * that was lost (see the DR runbook in docs/operations.md).
 */
export interface BackupManifest {
  id: string;
  fileName: string;
  startedAt: string;
  sizeBytes: number;
  sha256: string;
  tableCounts: Record<string, number>;
  ledgerChecksum: string;
  pgDumpVersion: string;
  serverVersion: string;
}

/** `backup-20250102T020000Z-<id>.dump`: sorts by time, and names the catalogue row. */
export function dumpFileName(startedAt: Date, id: string): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `backup-${stamp}-${id}.dump`;
}

export function manifestFileName(dumpFile: string): string {
  return dumpFile.replace(/\.dump$/, '.json');
}

/** Where a dump is written until it is complete (then renamed); named by id so a crashed run's leftover is found. */
export function partialFileName(id: string): string {
  return `.partial-${id}.dump`;
}

export async function writeManifest(directory: string, manifest: BackupManifest): Promise<void> {
  await writeFile(
    join(directory, manifestFileName(manifest.fileName)),
    `${JSON.stringify(manifest, null, 2)}\n`,
    { mode: 0o600 },
  );
}

/** The manifest of backup `id` in `directory`, if there is one. */
export async function findManifest(directory: string, id: string): Promise<BackupManifest | undefined> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const name = names.find((entry) => entry.startsWith('backup-') && entry.endsWith(`-${id}.json`));
  if (!name) return undefined;
  return JSON.parse(await readFile(join(directory, name), 'utf8')) as BackupManifest;
}

/** sha256 and size of a file, streamed (a dump can be far larger than memory). */
export async function digestFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}
