import { CreateAppRole1764100000000 } from '../../../migrations/1764100000000-CreateAppRole.js';
import { CreateTenancyAndAccess1764200000000 } from '../../../migrations/1764200000000-CreateTenancyAndAccess.js';
import { CreateInventoryCore1764300000000 } from '../../../migrations/1764300000000-CreateInventoryCore.js';
import { CreateReconciliationRuns1764400000000 } from '../../../migrations/1764400000000-CreateReconciliationRuns.js';
import { AddAccessChangeNotifications1764500000000 } from '../../../migrations/1764500000000-AddAccessChangeNotifications.js';
import { CreateCounts1764600000000 } from '../../../migrations/1764600000000-CreateCounts.js';
import { CreateWebhooks1764700000000 } from '../../../migrations/1764700000000-CreateWebhooks.js';
import { CreateAuditLogs1764800000000 } from '../../../migrations/1764800000000-CreateAuditLogs.js';
import { CreateBackups1764900000000 } from '../../../migrations/1764900000000-CreateBackups.js';
import { AddWebhookQueueStatistics1765000000000 } from '../../../migrations/1765000000000-AddWebhookQueueStatistics.js';
import { ConsolidateSqlFunctions1765100000000 } from '../../../migrations/1765100000000-ConsolidateSqlFunctions.js';
import { CreateReservations1765200000000 } from '../../../migrations/1765200000000-CreateReservations.js';
import { AddAvailabilityStatistics1765300000000 } from '../../../migrations/1765300000000-AddAvailabilityStatistics.js';
import { IndexBalancesByLocationAndItem1765400000000 } from '../../../migrations/1765400000000-IndexBalancesByLocationAndItem.js';
import { KeepOnHandInPositions1765500000000 } from '../../../migrations/1765500000000-KeepOnHandInPositions.js';
import { CreateEventFeed1765600000000 } from '../../../migrations/1765600000000-CreateEventFeed.js';

/**
 * Every migration, in order. Listed explicitly rather than globbed: under ESM a glob makes TypeORM import the
 * files itself, which bypasses jest's transform, and an explicit list makes a forgotten file a review item.
 */
export const migrations = [
  CreateAppRole1764100000000,
  CreateTenancyAndAccess1764200000000,
  CreateInventoryCore1764300000000,
  CreateReconciliationRuns1764400000000,
  AddAccessChangeNotifications1764500000000,
  CreateCounts1764600000000,
  CreateWebhooks1764700000000,
  CreateAuditLogs1764800000000,
  CreateBackups1764900000000,
  AddWebhookQueueStatistics1765000000000,
  ConsolidateSqlFunctions1765100000000,
  CreateReservations1765200000000,
  AddAvailabilityStatistics1765300000000,
  IndexBalancesByLocationAndItem1765400000000,
  KeepOnHandInPositions1765500000000,
  CreateEventFeed1765600000000,
];
