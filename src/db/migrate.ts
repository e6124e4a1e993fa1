import {
  type DatabaseIntrospector,
  type Kysely,
  type Migration,
  type MigrationResultSet,
  Migrator,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from "kysely";
import * as m001 from "./migrations/001-token-economy.ts";
import * as m002 from "./migrations/002-pricing-version.ts";
import * as m003 from "./migrations/003-solusio-sync.ts";
import * as m004 from "./migrations/004-billing.ts";
import * as m005 from "./migrations/005-app-secret.ts";
import * as m006 from "./migrations/006-solusio-binding.ts";
import * as m007 from "./migrations/007-pricing-changes.ts";
import * as m008 from "./migrations/008-sync-conflict.ts";
import * as m009 from "./migrations/009-sso-link-use.ts";
import * as m010 from "./migrations/010-customer-email-search.ts";
import * as m011 from "./migrations/011-job-slots.ts";
import * as m012 from "./migrations/012-usage-segments.ts";
import * as m013 from "./migrations/013-money-in.ts";
import * as m014accounts from "./migrations/014-accounts-sessions.ts";
import * as m015receivable from "./migrations/015-invoice-receivable-now.ts";
import * as m016indexes from "./migrations/016-list-filter-indexes.ts";
import * as m017payment from "./migrations/017-payment-statement.ts";
import * as m018credit from "./migrations/018-ledger-credit-index.ts";
import * as m019usage from "./migrations/019-usage-by-customer.ts";
import * as m020estimate from "./migrations/020-month-to-date-estimate.ts";
import * as m021listOrder from "./migrations/021-list-order-indexes.ts";
import * as m022lease from "./migrations/022-finalizer-lease.ts";
import { ServiceError } from "../kernel/errors.ts";
import type { Database } from "./schema.ts";

// Ordered migrations, listed explicitly so that bundling or a missing file can never change the order.
const MIGRATIONS: Record<string, Migration> = {
  "001-token-economy": m001,
  "002-pricing-version": m002,
  "003-solusio-sync": m003,
  "004-billing": m004,
  "005-app-secret": m005,
  "006-solusio-binding": m006,
  "007-pricing-changes": m007,
  "008-sync-conflict": m008,
  "009-sso-link-use": m009,
  "010-customer-email-search": m010,
  "011-job-slots": m011,
  "012-usage-segments": m012,
  "013-money-in": m013,
  "014-accounts-sessions": m014accounts,
  "015-invoice-receivable-now": m015receivable,
  "016-list-filter-indexes": m016indexes,
  "017-payment-statement": m017payment,
  "018-ledger-credit-index": m018credit,
  "019-usage-by-customer": m019usage,
  "020-month-to-date-estimate": m020estimate,
  "021-list-order-indexes": m021listOrder,
  "022-finalizer-lease": m022lease,
};

/**
 * What kysely's Migrator asks of the catalog (does the schema exist, do its two tables), answered for one
 * schema. Kysely's own introspector reads every column of every schema in the database, looking each schema
 * up by name as it goes: on a PostgreSQL shared by several schemas (tenants, benchmarks, tests) it failed when
 * another schema was dropped during the read ("schema … does not exist", two test files at a time), and
 * it grows with everything else in the database.
 */
class OneSchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`
      select nspname as name from pg_catalog.pg_namespace where nspname = ${this.schema}`.execute(this.db);
    return rows;
  }

  /** The schema's tables and views by name; the Migrator needs no columns. */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.schema} and c.relkind in ('r', 'v', 'p')`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: this.schema, isView: r.kind === "v", columns: [] }));
  }

  async getMetadata(): Promise<{ tables: TableMetadata[] }> {
    return { tables: await this.getTables() };
  }
}

/** `db` with OneSchemaIntrospector as its `introspection`; everything else is `db`'s own (methods bound to it). */
function withIntrospector(db: Kysely<Database>, introspector: DatabaseIntrospector): Kysely<Database> {
  return new Proxy(db, {
    get(target, property) {
      if (property === "introspection") return introspector;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The last migration this version knows. */
export const LATEST_MIGRATION = Object.keys(MIGRATIONS).at(-1)!;

/**
 * Migrations recorded in the database that this version does not have: a newer tokenbill applied them. Kysely
 * would refuse such a database too, but as "corrupted migrations", which sends an operator looking for damage
 * rather than for the instance that was left on the old version.
 */
async function unknownMigrations(
  db: Kysely<Database>,
  introspector: DatabaseIntrospector,
): Promise<string[]> {
  const tables = await introspector.getTables();
  if (!tables.some((t) => t.name === "kysely_migration")) return [];
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name).filter((name) => !(name in MIGRATIONS));
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which: with several tokenbill
  // schemas on one PostgreSQL (tests, benchmarks, tenants) it would find another schema's and skip its own.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]!.schema;
  const introspector = new OneSchemaIntrospector(db, schema);
  const newer = await unknownMigrations(db, introspector);
  if (newer.length > 0)
    throw new ServiceError(
      "CONFLICT",
      `this database was migrated by a newer version of tokenbill: it has migration ${newer.join(", ")}, ` +
        `which this version does not know (the last it knows is ${LATEST_MIGRATION}). Run that version or a later one.`,
    );
  const migrator = new Migrator({
    db: withIntrospector(db, introspector),
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableSchema: schema,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error");
    throw new Error(
      `migration ${failed?.migrationName ?? "(unknown)"} failed: ${(result.error as Error).message ?? result.error}`,
    );
  }
  return (result.results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
