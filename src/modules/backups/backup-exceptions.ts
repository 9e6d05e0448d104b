import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import type { BackupStatus } from './dto/backup.dto.js';

export class BackupNotFoundException extends DomainException {
  constructor(id: string) {
    super('not-found', `No backup ${id}`);
  }
}

export class BackupInProgressException extends DomainException {
  constructor() {
    super(
      'backup-in-progress',
      'Another backup, verification or retention run holds the backup lock; try again when it has finished',
    );
  }
}

export class BackupNotVerifiableException extends DomainException {
  constructor(id: string, status: BackupStatus) {
    super(
      'backup-not-verifiable',
      status === 'running'
        ? `Backup ${id} is still running`
        : `Backup ${id} failed; there is no file to verify`,
    );
  }
}
