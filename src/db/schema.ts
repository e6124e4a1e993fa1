import type { ColumnType } from "kysely";

// Row types of the tables created in ./migrations. int8 columns arrive as bigint and numeric columns as
// exact decimal strings on both PGlite and PostgreSQL (see open-database.ts).

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Numeric = ColumnType<string, string, string>;
/** bigserial: generated on insert, never updated. */
type Serial = ColumnType<bigint, never, never>;

export interface CurrencyTable {
  code: string;
  exponent: number;
  token_unit_cost: Numeric;
  display_prefix: string;
  display_suffix: string;
  thousands_separator: string;
  decimals_separator: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ClientGroupTable {
  id: Serial;
  name: string;
  description: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type CustomerStatus = "active" | "locked" | "suspended";

export interface CustomerTable {
  id: Serial;
  email: string;
  name: string;
  country: string;
  region: string | null;
  currency_code: string;
  tax_exempt: boolean;
  status: CustomerStatus;
  client_group_id: bigint | null;
  tax_rule_id: bigint | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  solusio_user_id: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  limit_group: ColumnType<string | null, string | null | undefined, string | null>;
  sync_state: ColumnType<SyncState, SyncState | undefined, SyncState>;
  sync_error: ColumnType<string | null, string | null | undefined, string | null>;
  synced_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Who set `status` (migration 013): staff, or dunning (which lifts only what it set). */
  status_source: ColumnType<StatusSource | null, StatusSource | null | undefined, StatusSource | null>;
  status_reason: ColumnType<string | null, string | null | undefined, string | null>;
  dunning_exempt: ColumnType<boolean, boolean | undefined, boolean>;
}

export type StatusSource = "staff" | "dunning";

export type SyncState = "pending" | "in_sync" | "failed" | "conflict";

export interface DiscountTable {
  id: Serial;
  name: string;
  description: string;
  multiplier: Numeric;
  client_group_id: bigint | null;
  customer_id: bigint | null;
  position: number;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TaxRuleTable {
  id: Serial;
  name: string;
  compound: boolean;
  country: string | null;
  region: string | null;
  is_default: boolean;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TaxRateTable {
  tax_rule_id: bigint;
  position: number;
  label: string;
  rate: Numeric;
}

export interface ApiKeyTable {
  id: string;
  name: string;
  key_hash: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** Who created the key, as the audit log labels actors; null when unknown (migration 026). */
  created_by: ColumnType<string | null, string | null | undefined, never>;
  /** What the key may do, checked by requireStaffRole as a staff user's role is (migration 045); never changes. */
  role: ColumnType<ApiKeyRole, ApiKeyRole | undefined, never>;
}

/** An admin API key's role: the staff roles but owner (no owner-only act is reachable with a key). */
export type ApiKeyRole = "admin" | "billing" | "support";

export interface AuditLogTable {
  id: Serial;
  at: CreatedAt;
  actor: string;
  request_id: string | null;
  action: string;
  entity: string;
  entity_id: string;
  before: ColumnType<unknown, string | null, never>;
  after: ColumnType<unknown, string | null, never>;
}

export interface SolusioCallTable {
  id: Serial;
  at: CreatedAt;
  method: string;
  path: string;
  status: number | null;
  duration_ms: number;
  attempt: number;
  request_body: ColumnType<unknown, string | null, never>;
  error: string | null;
}

export type JobStatus = "pending" | "running" | "done" | "failed";

export interface JobTable {
  id: Serial;
  kind: string;
  ordering_key: string | null;
  payload: ColumnType<unknown, string, string>;
  status: ColumnType<JobStatus, JobStatus | undefined, JobStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  run_after: ColumnType<Date, Date | undefined, Date>;
  locked_until: Date | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** Unique when set: a second job with the same slot is never written (migration 011). */
  slot: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PlanPriceTable {
  id: Serial;
  plan_name: string;
  tokens_per_hour: bigint;
  tokens_per_month: bigint;
  ip_tokens_per_hour: ColumnType<bigint, bigint | undefined, bigint>;
  ip_tokens_per_month: ColumnType<bigint, bigint | undefined, bigint>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

// Pricing change log (migration 007): written by triggers only, read by the in-memory pricing index.
export interface PricingChangeTable {
  id: Serial;
  customer_id: bigint | null;
  client_group_id: bigint | null;
  /** xid8, as text: the writing transaction. */
  xid: ColumnType<string, never, never>;
  created_at: CreatedAt;
  /** A pricing table (or the log) was emptied by TRUNCATE: readers reload everything (migration 028). */
  everything: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface PricingChangePruneTable {
  singleton: boolean;
  below: ColumnType<string, string, string>;
  pending_below: ColumnType<string, string, string>;
  pending_at: Timestamp;
}

// Billing cycle (migration 004). Money and tokens are bigint; exact decimals are strings.
type Json<T> = ColumnType<T, string, string>;

export interface ServerPollTable {
  id: Serial;
  started_at: Date;
  finished_at: Date;
  servers: number;
}

/** What usage source (b) records of a server at a sighting: whom it bills and what it costs. */
export interface ServerStateColumns {
  solusio_user_id: bigint | null;
  billing_user_id: bigint | null;
  plan_id: bigint | null;
  plan_name: string;
  tokens_per_hour: bigint;
  tokens_per_month: bigint;
  ip_tokens_per_hour: bigint;
  ip_tokens_per_month: bigint;
  /** backup_price, exact decimal text. */
  backup_percent: string;
  backups_enabled: boolean;
  additional_ips: number;
}

export interface ServerSnapshotTable extends ServerStateColumns {
  server_id: bigint;
  uuid: string;
  name: string;
  /** The seq of the server_segment the server was last seen in. */
  segment_seq: ColumnType<number, number | undefined, number>;
  created_at: Date;
  first_seen_at: Date;
  last_seen_at: Date;
  gone_at: Date | null;
}

/** One state a server was seen in (migration 012); it holds from started_at until the next segment. */
export interface ServerSegmentTable extends ServerStateColumns {
  server_id: bigint;
  seq: number;
  started_at: Date;
}

/** One SolusIO activity-log entry about a server (usage source (c)). */
export interface ServerEventTable {
  id: bigint;
  event: string;
  server_id: bigint;
  at: Date;
  data: ColumnType<unknown, string, never>;
  recorded_at: CreatedAt;
}

/** A plan's prices from effective_at until its next row (migration 030): how source (c) sees a re-price. */
export interface PlanPriceChangeTable {
  plan_id: bigint;
  effective_at: Date;
  plan_name: string;
  tokens_per_hour: bigint;
  tokens_per_month: bigint;
  ip_tokens_per_hour: bigint;
  ip_tokens_per_month: bigint;
  /** backup_price, exact decimal text. */
  backup_percent: Numeric;
  /** "pushed": tokenbill's own PUT plans/{id}; "read": a read of the plans saw the prices change. */
  seen: "pushed" | "read";
  recorded_at: CreatedAt;
}

export type BillingRunState = "running" | "completed" | "failed";
export type BillingRunPhase = "importing" | "drafting" | "finalizing" | "done";

export interface BillingRunTable {
  id: string;
  period: string;
  period_start: Date;
  period_end: Date;
  /** The BILLING_TIME_ZONE the run computed its bounds in (migration 031); null for runs before it. */
  time_zone: ColumnType<string | null, string | null | undefined, string | null>;
  /** Why the bounds are not that zone's calendar month (src/domain/period-tiling.ts); null when they are. */
  bounds_warning: ColumnType<string | null, string | null | undefined, string | null>;
  source: string;
  state: ColumnType<BillingRunState, BillingRunState | undefined, BillingRunState>;
  phase: ColumnType<BillingRunPhase, BillingRunPhase | undefined, BillingRunPhase>;
  processed: ColumnType<number, number | undefined, number>;
  total: ColumnType<number, number | undefined, number>;
  summary: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
  actor: string;
  started_at: Date;
  heartbeat_at: Date;
  finished_at: Date | null;
}

// Which run finalizes a period, renewed in each of its batches (migration 022).
export interface FinalizerLeaseTable {
  period: string;
  run_id: string;
  renewed_at: Date;
}

// The console's month-to-date estimate, one row an hour, shared by every instance (migration 020).
export interface MonthToDateEstimateTable {
  period_end: Date;
  period_start: Date;
  claimed_by: string;
  claimed_at: Date;
  computed_at: Date | null;
  figures: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface BillingAnomalyTable {
  id: Serial;
  billing_run_id: string;
  period: string;
  kind: string;
  customer_id: bigint | null;
  billing_user_id: bigint | null;
  server_id: bigint | null;
  message: string;
  details: Json<unknown>;
  created_at: CreatedAt;
}

export interface InvoiceNumberCounterTable {
  sequence: string;
  last_value: bigint;
}

export type InvoiceStatus = "draft" | "finalized" | "partially_paid" | "paid" | "void";

export interface InvoiceTable {
  id: string;
  customer_id: bigint;
  period: string;
  period_start: Date;
  period_end: Date;
  status: ColumnType<InvoiceStatus, InvoiceStatus | undefined, InvoiceStatus>;
  number: string | null;
  number_sequence: string | null;
  number_value: bigint | null;
  customer_name: string;
  customer_email: string;
  customer_country: string;
  customer_region: string | null;
  currency_code: string;
  currency: Json<unknown>;
  base_token_unit_cost: Numeric;
  tax_compound: boolean;
  tax_exempt: boolean;
  tokens: bigint;
  subtotal: bigint;
  discount_total: bigint;
  net: bigint;
  tax_total: bigint;
  total: bigint;
  discounts: Json<unknown>;
  taxes: Json<unknown>;
  fingerprint: string;
  billing_run_id: string;
  issue_date: string | null;
  due_date: string | null;
  finalized_at: Date | null;
  paid_at: Date | null;
  paid_date: string | null;
  paid_amount: bigint | null;
  paid_reference: string | null;
  voided_at: Date | null;
  void_reason: string | null;
  /** A void invoice whose (customer, period) slot staff released, so that a run bills the period again. */
  released_at: Date | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** The charge kinds of billing-rules §2, and a backup line's share of its plan group (§2.2). */
export type InvoiceLineCharge = "hourly" | "monthly_cap" | "monthly_fixed" | "free" | "backup_share";

export interface InvoiceLineTable {
  invoice_id: string;
  position: number;
  kind: "server" | "additional_ips" | "backups";
  server_id: bigint;
  server_uuid: string;
  server_name: string;
  plan_name: string;
  server_created_at: Date;
  server_deleted_at: Date | null;
  quantity: bigint;
  hours: bigint;
  charge_kind: InvoiceLineCharge;
  tokens: bigint;
  recomputed_tokens: bigint;
  plan_id: ColumnType<bigint | null, bigint | null | undefined, never>;
  /** Set on backup lines only: the plan's backup_price in percent. */
  backup_percent: ColumnType<string | null, string | null | undefined, never>;
  unit_cost: Numeric;
  amount: bigint;
}

// The SolusIO this database belongs to (migration 006); one row at most.
export interface SolusioBindingTable {
  singleton: ColumnType<boolean, boolean | undefined, never>;
  kind: "solusio" | "sandbox";
  api_url: string;
  identity: string;
  bound_at: ColumnType<Date, Date | undefined, Date>;
}

// Redeemed SSO links (migration 009), kept until they would have expired.
export interface SsoLinkUseTable {
  nonce: string;
  customer_id: bigint;
  expires_at: Date;
  used_at: ColumnType<Date, Date | undefined, never>;
}

// The first period the billing schedule bills (migration 035); one row at most.
export interface BillingStartTable {
  singleton: ColumnType<boolean, boolean | undefined, never>;
  period: string;
  /** Who set it: the first schedule (the month in progress), the book's first run, or BILLING_START_PERIOD. */
  reason: BillingStartReason;
  recorded_at: ColumnType<Date, Date | undefined, never>;
}

export type BillingStartReason =
  | "first_schedule"
  | "first_billing_run"
  | "configured"
  /** Migration 039: a book upgraded from before migration 035 with customers and no run. */
  | "upgraded_with_customers";

// SolusIO users carrying a billing_user_id no sync sees, as the last reconciliation found them (migration 040).
export interface SolusioCarrierFindingTable {
  kind: "shared" | "unknown";
  billing_user_id: bigint;
  /** The users carrying it, in id order: `[{id, email}]`. */
  users: ColumnType<{ id: number; email: string }[], string, string>;
  first_seen_at: ColumnType<Date, Date | undefined, Date>;
  seen_at: ColumnType<Date, Date | undefined, Date>;
}

// When a reconciliation last recorded its carrier findings, and how many SolusIO users it read (migration 043).
export interface SolusioCarrierCheckTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  checked_at: Date;
  solusio_users: number;
}

export interface AppSecretTable {
  name: string;
  value: string;
  created_at: CreatedAt;
}

export interface Database {
  staff_user: StaffUserTable;
  portal_account: PortalAccountTable;
  web_session: WebSessionTable;
  portal_token: PortalTokenTable;
  app_secret: AppSecretTable;
  solusio_binding: SolusioBindingTable;
  billing_start: BillingStartTable;
  solusio_carrier_finding: SolusioCarrierFindingTable;
  solusio_carrier_check: SolusioCarrierCheckTable;
  sso_link_use: SsoLinkUseTable;
  solusio_call: SolusioCallTable;
  job: JobTable;
  plan_price: PlanPriceTable;
  pricing_change: PricingChangeTable;
  pricing_change_prune: PricingChangePruneTable;
  currency: CurrencyTable;
  client_group: ClientGroupTable;
  customer: CustomerTable;
  discount: DiscountTable;
  tax_rule: TaxRuleTable;
  tax_rate: TaxRateTable;
  api_key: ApiKeyTable;
  audit_log: AuditLogTable;
  server_poll: ServerPollTable;
  server_snapshot: ServerSnapshotTable;
  server_segment: ServerSegmentTable;
  server_event: ServerEventTable;
  plan_price_change: PlanPriceChangeTable;
  billing_run: BillingRunTable;
  billing_anomaly: BillingAnomalyTable;
  finalizer_lease: FinalizerLeaseTable;
  invoice_number_counter: InvoiceNumberCounterTable;
  invoice: InvoiceTable;
  invoice_line: InvoiceLineTable;
  payment: PaymentTable;
  refund: RefundTable;
  credit_note: CreditNoteTable;
  ledger_entry: LedgerEntryTable;
  ledger_late_entry: LedgerLateEntryTable;
  ledger_late_scan: LedgerLateScanTable;
  invoice_due_extension: InvoiceDueExtensionTable;
  dunning_episode: DunningEpisodeTable;
  dunning_step: DunningStepTable;
  provider_event: ProviderEventTable;
  checkout_session: CheckoutSessionTable;
  month_to_date_estimate: MonthToDateEstimateTable;
  idempotency_key: IdempotencyKeyTable;
}

// Money in (migration 013, billing-rules §7–§8).

export interface PaymentTable {
  id: string;
  customer_id: bigint;
  currency_code: string;
  amount: bigint;
  method: string;
  reference: string;
  invoice_id: string | null;
  paid_at: Date;
  created_at: CreatedAt;
}

export type RefundStatus = "pending" | "succeeded" | "failed";

export interface RefundTable {
  id: string;
  payment_id: string;
  amount: bigint;
  reason: ColumnType<string, string | undefined, never>;
  status: ColumnType<RefundStatus, RefundStatus, RefundStatus>;
  provider_refund_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The credit note whose settlement "refund" made it (migration 023). */
  credit_note_id: ColumnType<string | null, string | null | undefined, never>;
  /**
   * The refund row a provider's refund names in its metadata but could not be recorded as (another amount, or
   * the row released first): a credit note's reservation whose money went to the card this way (migration 046).
   */
  names_refund_id: ColumnType<string | null, string | null | undefined, never>;
  /**
   * What a pending provider refund of a payment (no credit note) holds of the customer's credit: the part of
   * the payment's unused credit its plan would take back, fixed when it was asked (migration 047). A credit
   * note's refund holds its whole amount instead.
   */
  credit_held: ColumnType<bigint, bigint | undefined, never>;
  created_at: CreatedAt;
}

/** A request sent with an Idempotency-Key, and its answer once known (migration 024). */
export interface IdempotencyKeyTable {
  /** Who sent it (actorLabel): keys of different API keys never meet. */
  scope: string;
  key: string;
  /** SHA-256 (hex) of the method, the route, its path parameters and its body. */
  request_hash: string;
  status: number | null;
  response_body: string | null;
  /** The refund reservation of a refund through the provider, while the provider's answer is awaited. */
  refund_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Date;
  completed_at: Date | null;
}

export interface CreditNoteTable {
  id: string;
  invoice_id: string;
  customer_id: bigint;
  number: string;
  number_sequence: string;
  number_value: bigint;
  currency_code: string;
  currency: ColumnType<unknown, string, never>;
  net: bigint;
  tax_total: bigint;
  total: bigint;
  taxes: ColumnType<unknown, string, never>;
  lines: ColumnType<unknown, string, never>;
  reason: string;
  settlement: "credit" | "refund";
  issue_date: string;
  created_at: CreatedAt;
}

export type LedgerAccount = "receivable" | "credit" | "cash" | "sales";
export type LedgerEventKind =
  | "invoice_finalized"
  | "payment"
  | "refund"
  | "credit_note"
  | "credit_applied"
  | "opening";

/** Append only (a trigger refuses updates and deletes); the entries of one event sum to zero. */
export interface LedgerEntryTable {
  id: Serial;
  event_id: string;
  event_kind: LedgerEventKind;
  customer_id: bigint;
  currency_code: string;
  account: LedgerAccount;
  invoice_id: string | null;
  payment_id: string | null;
  refund_id: string | null;
  credit_note_id: string | null;
  amount: bigint;
  created_at: CreatedAt;
}

/**
 * A balance row of an event written after a later event of its customer had begun, before 2026-12-07
 * (migration 049): the statement page brings it forward below that later event (statement-page.ts).
 */
export interface LedgerLateEntryTable {
  entry_id: bigint;
  customer_id: bigint;
  currency_code: string;
  /** The first row id of the entry's event: its key on the statement. */
  event_first: bigint;
  amount: bigint;
}

/** How far housekeeping's pass has found late balance rows (migration 050, ledger-late-rows.ts): one row. */
export interface LedgerLateScanTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  /** Every late row with a smaller or equal ledger id is in ledger_late_entry. */
  scanned_to: bigint;
  /** The newest ledger id seen at `seen_at`: the next `scanned_to`. */
  seen_to: bigint;
  seen_at: Date;
}

export interface InvoiceDueExtensionTable {
  invoice_id: string;
  due_date: string;
  reason: string;
  created_at: CreatedAt;
}

export interface DunningEpisodeTable {
  id: Serial;
  customer_id: bigint;
  started_at: Date;
  ended_at: Date | null;
  status_before: CustomerStatus | null;
  source_before: StatusSource | null;
}

export interface DunningStepTable {
  episode_id: bigint;
  step: string;
  done_at: Date;
  details: ColumnType<unknown, string | undefined, never>;
}

export interface ProviderEventTable {
  provider: string;
  event_id: string;
  type: string;
  payload: ColumnType<unknown, string, never>;
  received_at: CreatedAt;
  processed_at: Date | null;
  error: string | null;
}

export interface CheckoutSessionTable {
  id: string;
  provider: string;
  invoice_id: string;
  customer_id: bigint;
  amount: bigint;
  currency_code: string;
  url: string;
  created_at: CreatedAt;
}

// Accounts and sessions (migration 014-accounts-sessions).
export type StaffRole = "owner" | "admin" | "billing" | "support";

export interface StaffUserTable {
  id: string;
  email: string;
  name: ColumnType<string, string | undefined, string>;
  role: StaffRole;
  password_hash: string;
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: bigint | null;
  disabled_at: Date | null;
  /** A generated password still in use: the console opens only the change-password page (migration 034). */
  must_change_password: ColumnType<boolean, boolean | undefined, boolean>;
  /** Raised by "log out everywhere": part of what its known-device cookies are bound to (migration 044). */
  device_epoch: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface PortalAccountTable {
  customer_id: bigint;
  password_hash: string | null;
  /** Raised by "log out everywhere": part of what its known-device cookies are bound to (migration 044). */
  device_epoch: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WebSessionTable {
  id_hash: string;
  kind: "staff" | "customer";
  staff_user_id: string | null;
  customer_id: bigint | null;
  pending_totp: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface PortalTokenTable {
  token_hash: string;
  customer_id: bigint;
  purpose: "magic_link" | "password_reset";
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}
