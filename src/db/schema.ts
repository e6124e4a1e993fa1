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
}

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
}

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

export interface PricingVersionTable {
  singleton: boolean;
  version: bigint;
}

export interface Database {
  pricing_version: PricingVersionTable;
  currency: CurrencyTable;
  client_group: ClientGroupTable;
  customer: CustomerTable;
  discount: DiscountTable;
  tax_rule: TaxRuleTable;
  tax_rate: TaxRateTable;
  api_key: ApiKeyTable;
  audit_log: AuditLogTable;
}
