import { Command, CommandRunner, Option } from 'nest-commander';
import { ReservationExpiry } from '../../modules/reservations/index.js';

interface ExpireOptions {
  tenant?: string;
}

@Command({
  name: 'reservations:expire',
  description:
    'Mark reservations past their expiresAt as expired and write reservation.expired (the minutely job, once now)',
})
export class ExpireReservationsCommand extends CommandRunner {
  constructor(private readonly expiry: ReservationExpiry) {
    super();
  }

  @Option({ flags: '--tenant <id-or-slug>', description: 'Only this tenant (default: every tenant)' })
  parseTenant(value: string): string {
    return value;
  }

  async run(_args: string[], options: ExpireOptions): Promise<void> {
    const outcome = await this.expiry.expire(options.tenant, (line) => process.stdout.write(`${line}\n`));
    if (!outcome.ran) throw new Error(`not run: ${outcome.reason}`);
    const { tenants, expired } = outcome.result;
    process.stdout.write(`expired ${expired} reservation(s) in ${tenants} tenant(s)\n`);
  }
}
