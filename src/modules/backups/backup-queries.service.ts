import { Injectable } from '@nestjs/common';
import { pageFromRows } from '../../platform/http/pagination/keyset-sql.js';
import { decodeKeyCursor, type Page, type PageQueryDto } from '../../platform/http/pagination/pagination.js';
import { BackupCatalogueRepository } from './backup-catalogue.repository.js';
import { presentBackup } from './backup.presenter.js';
import type { BackupView } from './dto/backup.dto.js';

/** A cursor holds started_at as PostgreSQL prints it (microseconds kept) and the id. */
const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The catalogue as the API shows it. */
@Injectable()
export class BackupQueries {
  constructor(private readonly catalogue: BackupCatalogueRepository) {}

  /** Newest first, keyset-paginated on (started_at, id). */
  async list(query: PageQueryDto): Promise<Page<BackupView>> {
    const after = decodeKeyCursor(query.cursor, [TIMESTAMP, UUID]);
    const rows = await this.catalogue.list(after, query.limit);
    return pageFromRows(rows, query.limit, (row) => [row.position, row.id], presentBackup);
  }

  async get(id: string): Promise<BackupView> {
    return presentBackup(await this.catalogue.get(id));
  }
}
