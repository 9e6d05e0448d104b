/** Metric names are part of the operations contract (docs/api-contract.md "Operations", dashboards and alert rules): change with care. */
export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';
export const DB_QUERY_DURATION = 'db_query_duration_seconds';
export const TENANT_REQUESTS = 'tenant_requests_total';
export const RBAC_DENIED = 'rbac_denied_total';
export const INVENTORY_MOVEMENTS = 'inventory_movements_total';
export const RECONCILIATION_DRIFT_KEYS = 'balance_reconciliation_drift_keys';
export const JOB_RUNS = 'job_runs_total';
export const JOB_LAST_RUN = 'job_last_run_timestamp_seconds';
export const JOB_DURATION = 'job_last_duration_seconds';
export const WEBHOOK_DELIVERIES = 'webhook_deliveries_total';
export const WEBHOOK_DELIVERY_DURATION = 'webhook_delivery_duration_seconds';
export const WEBHOOK_QUEUE_DEPTH = 'webhook_queue_depth';
export const WEBHOOK_DLQ_SIZE = 'webhook_dlq_size';
export const BACKUP_LAST_SUCCESS = 'backup_last_success_timestamp_seconds';
export const BACKUP_LAST_VERIFIED = 'backup_last_verified_timestamp_seconds';
