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
import * as m023refundCreditNote from "./migrations/023-refund-credit-note.ts";
import * as m024idempotency from "./migrations/024-idempotency-key.ts";
import * as m025failedJobs from "./migrations/025-failed-jobs-index.ts";
import * as m026apiKeyCreator from "./migrations/026-api-key-creator.ts";
import * as m027invoiceReissue from "./migrations/027-invoice-reissue.ts";
import * as m028pricingTruncate from "./migrations/028-pricing-truncate.ts";
import * as m029ledgerCheckPlan from "./migrations/029-ledger-check-plan.ts";
import * as m030planPriceChange from "./migrations/030-plan-price-change.ts";
import * as m031billingRunTimeZone from "./migrations/031-billing-run-time-zone.ts";
import * as m032listIndexes from "./migrations/032-list-indexes.ts";
import * as m033customerClientGroupList from "./migrations/033-customer-client-group-list.ts";
import * as m034staffMustChangePassword from "./migrations/034-staff-must-change-password.ts";
import * as m035billingStart from "./migrations/035-billing-start.ts";
import * as m036loginCounts from "./migrations/036-login-counts.ts";
import * as m039billingStartUpgrade from "./migrations/039-billing-start-upgrade.ts";
import * as m040carrierFindings from "./migrations/040-carrier-findings.ts";
import * as m042paymentListFilters from "./migrations/042-payment-list-filters.ts";
import * as m043carrierCheck from "./migrations/043-carrier-check.ts";
import * as m044loginDeviceEpoch from "./migrations/044-login-device-epoch.ts";
import * as m045apiKeyRole from "./migrations/045-api-key-role.ts";
import * as m046refundNamesRefund from "./migrations/046-refund-names-refund.ts";
import * as m047refundCreditHeld from "./migrations/047-refund-credit-held.ts";
import * as m048ledgerBalanceIndex from "./migrations/048-ledger-balance-index.ts";
import * as m049moneyBefore20261207 from "./migrations/049-money-before-2026-12-07.ts";
import * as m050ledgerLateScan from "./migrations/050-ledger-late-scan.ts";
import * as m051providerEventFailingIndex from "./migrations/051-provider-event-failing-index.ts";
import { ServiceError } from "../kernel/errors.ts";
import { StatementRefusedError } from "./database-outage.ts";
import { TABLES_CHANNEL } from "./named-statements.ts";
import type { Database } from "./schema.ts";

// Ordered migrations, listed explicitly so that bundling or a missing file can never change the order.
export const MIGRATIONS: Record<string, Migration> = {
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
  "023-refund-credit-note": m023refundCreditNote,
  "024-idempotency-key": m024idempotency,
  "025-failed-jobs-index": m025failedJobs,
  "026-api-key-creator": m026apiKeyCreator,
  "027-invoice-reissue": m027invoiceReissue,
  "028-pricing-truncate": m028pricingTruncate,
  "029-ledger-check-plan": m029ledgerCheckPlan,
  "030-plan-price-change": m030planPriceChange,
  "031-billing-run-time-zone": m031billingRunTimeZone,
  "032-list-indexes": m032listIndexes,
  "033-customer-client-group-list": m033customerClientGroupList,
  "034-staff-must-change-password": m034staffMustChangePassword,
  "035-billing-start": m035billingStart,
  "036-login-counts": m036loginCounts,
  "039-billing-start-upgrade": m039billingStartUpgrade,
  "040-carrier-findings": m040carrierFindings,
  "042-payment-list-filters": m042paymentListFilters,
  "043-carrier-check": m043carrierCheck,
  "044-login-device-epoch": m044loginDeviceEpoch,
  "045-api-key-role": m045apiKeyRole,
  "046-refund-names-refund": m046refundNamesRefund,
  "047-refund-credit-held": m047refundCreditHeld,
  "048-ledger-balance-index": m048ledgerBalanceIndex,
  "049-money-before-2026-12-07": m049moneyBefore20261207,
  "050-ledger-late-scan": m050ledgerLateScan,
  "051-provider-event-failing-index": m051providerEventFailingIndex,
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

/**
 * `conn` as the Migrator is given it: OneSchemaIntrospector as its `introspection`, and an adapter whose
 * migration lock does nothing, as applyMigrations holds its own for the whole transaction. Everything else is
 * `conn`'s own (methods bound to it).
 */
function migratorView(conn: Kysely<Database>, introspector: DatabaseIntrospector): Kysely<Database> {
  const executor = conn.getExecutor();
  const noLock = async () => {};
  const adapter = boundView(executor.adapter, (property) =>
    property === "acquireMigrationLock" || property === "releaseMigrationLock" ? noLock : undefined,
  );
  const executorView = boundView(executor, (property) => (property === "adapter" ? adapter : undefined));
  return boundView(conn, (property) => {
    if (property === "introspection") return introspector;
    if (property === "getExecutor") return () => executorView;
    return undefined;
  });
}

/** `target` with some properties answered by `override` (when it gives a value), methods bound to `target`. */
function boundView<T extends object>(target: T, override: (property: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, property) {
      const replaced = override(property);
      if (replaced !== undefined) return replaced;
      const value: unknown = Reflect.get(t, property, t);
      return typeof value === "function" ? value.bind(t) : value;
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
  migrations: Record<string, Migration>,
): Promise<string[]> {
  const tables = await introspector.getTables();
  if (!tables.some((t) => t.name === "kysely_migration")) return [];
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name).filter((name) => !(name in migrations));
}

/**
 * Migrations in this database's schema that this version does not know: the start-up check's question, also
 * asked by a running serve (src/app/newer-schema-watch.ts), which a newer version may have migrated since.
 */
export async function newerMigrations(db: Kysely<Database>): Promise<string[]> {
  return unknownMigrations(db, new OneSchemaIntrospector(db, await currentSchema(db)), MIGRATIONS);
}

/** What an instance of this version says of a database a newer version has migrated. */
export function migratedByNewerVersion(newer: readonly string[]): string {
  return (
    `this database was migrated by a newer version of tokenbill: it has migration ${newer.join(", ")}, ` +
    `which this version does not know (the last it knows is ${LATEST_MIGRATION})`
  );
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return applyMigrations(db, MIGRATIONS);
}

/** pg_advisory_xact_lock's first key, tokenbill's "migrating a schema" lock; the second is the schema's hash. */
const MIGRATION_LOCK = 0x7b11f2;

/**
 * Applies what `migrations` has and the database has not, all in one transaction on one connection, which
 * first takes a transaction-level lock of the schema: of processes migrating at once one applies them and the
 * others then find nothing left. Kysely's Migrator took a session-level lock before its transaction and
 * released it after, in separate statements, which a pooler in transaction mode may send to different server
 * connections, leaving the lock held on one of them; here its own lock is left out (migratorView). Exported
 * for tests, which add a migration that fails.
 */
export async function applyMigrations(
  db: Kysely<Database>,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  try {
    return await applyOnce(db, migrations);
  } catch (error) {
    // Behind a pooler in transaction mode that does not keep named statements, the first named statement of
    // the transaction is refused, which ends it (StatementRefusedError), and naming turns off for the pool:
    // nothing of the call was applied, and the second attempt goes unnamed.
    if (!(error instanceof StatementRefusedError)) throw error;
    return applyOnce(db, migrations);
  }
}

async function applyOnce(db: Kysely<Database>, migrations: Record<string, Migration>): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which: with several tokenbill
  // schemas on one PostgreSQL (tests, benchmarks, tenants) it would find another schema's and skip its own.
  const schema = await currentSchema(db);
  const newer = await unknownMigrations(db, new OneSchemaIntrospector(db, schema), migrations);
  if (newer.length > 0)
    throw new ServiceError("CONFLICT", `${migratedByNewerVersion(newer)}. Run that version or a later one.`);
  const result = await db.connection().execute(async (conn) => {
    await sql`BEGIN`.execute(conn);
    try {
      // serve's connections give up on a lock after DATABASE_LOCK_TIMEOUT_MS, but an instance starting beside
      // the one migrating waits here for as long as the migrations take, and a migration's DDL for its tables.
      await sql`SET LOCAL lock_timeout = 0`.execute(conn);
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}, hashtext(${schema}))`.execute(conn);
      const migrator = new Migrator({
        db: migratorView(conn, new OneSchemaIntrospector(conn, schema)),
        provider: { getMigrations: async () => migrations },
        migrationTableSchema: schema,
        // This transaction is theirs: a failure rolls back every migration of the call, as Kysely's did.
        disableTransactions: true,
      });
      const applied: MigrationResultSet = await migrator.migrateToLatest();
      // Delivered at commit to every process listening: they name their statements afresh (named-statements.ts).
      if (!applied.error && applied.results?.length)
        await sql`SELECT pg_notify(${TABLES_CHANNEL}, ${schema})`.execute(conn);
      await sql.raw(applied.error ? "ROLLBACK" : "COMMIT").execute(conn);
      return applied;
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => {});
      throw error;
    }
  });
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error");
    throw new Error(
      `migration ${failed?.migrationName ?? "(unknown)"} failed: ${(result.error as Error).message ?? result.error}`,
    );
  }
  return (result.results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
