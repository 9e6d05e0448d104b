import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import type { BackupStatus } from './dto/backup.dto.js';

export class BackupNotFoundException extends DomainException {
  constructor(id: string) {
    super(404, 'not-found', 'Not found', `No backup ${id}`);
  }
}

export class BackupInProgressException extends DomainException {
  constructor() {
    super(
      409,
      'backup-in-progress',
      'Backup in progress',
      'Another backup, verification or retention run holds the backup lock; try again when it has finished',
    );
  }
}

export class BackupNotVerifiableException extends DomainException {
  constructor(id: string, status: BackupStatus) {
    super(
      409,
      'backup-not-verifiable',
      'Backup cannot be verified',
      status === 'running'
        ? `Backup ${id} is still running`
        : `Backup ${id} failed; there is no file to verify`,
    );
  }
}
