import { type Kysely, sql } from "kysely";
import type { Database } from "../../src/db/schema.ts";
import type { Tx } from "../../src/kernel/context.ts";
import type { CustomerCreate } from "../../src/services/customers/customer-schemas.ts";

// Shared by the services layer's verb tests (src/services/**/*.db.test.ts): what a verb left in the audit
// log and the job outbox, a whole table to compare before and after a rolled-back test, a customer input and
// an invoice.

/** The time withRollback's context gives every verb, as the verbs store and present it. */
export const NOW = new Date("2026-11-29T12:00:00Z");
export const NOW_ISO = "2026-11-29T12:00:00.000Z";

/** Every audit row, oldest first (a test's transaction starts with none: all tests roll back). */
export async function auditRows(trx: Tx) {
  const rows = await trx.selectFrom("audit_log").selectAll().orderBy("id").execute();
  return rows.map(({ id: _id, ...row }) => row);
}

/** Every job in the outbox, oldest first, with what identifies it. */
export async function jobRows(trx: Tx) {
  const rows = await trx
    .selectFrom("job")
    .select(["kind", "ordering_key", "payload", "status"])
    .orderBy("id")
    .execute();
  return rows;
}

/** A whole table in a stable order, to show that a rolled-back test left it as it was. */
export async function tableRows(db: Kysely<Database>, table: keyof Database): Promise<unknown[]> {
  const rows = await (db as unknown as Kysely<Record<string, Record<string, unknown>>>)
    .selectFrom(table)
    .selectAll()
    .execute();
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))).sort();
}

/** A customer as createCustomer receives it (already parsed); override what the test is about. */
export function customerInput(overrides: Partial<CustomerCreate> = {}): CustomerCreate {
  return {
    email: "ada@example.com",
    name: "Ada",
    country: "DE",
    region: null,
    currency: "EUR",
    tax_exempt: false,
    status: "active",
    client_group_id: null,
    tax_rule_id: null,
    ...overrides,
  };
}

/** A draft invoice (and the billing run it needs) for a customer: enough for the verbs that must keep them. */
export async function insertInvoice(trx: Tx, customerId: bigint): Promise<void> {
  const [start, end] = [new Date("2026-10-01T00:00:00Z"), new Date("2026-11-01T00:00:00Z")];
  await sql`INSERT INTO billing_run (id, period, period_start, period_end, source, actor, started_at, heartbeat_at)
    VALUES ('run_1', '2026-10', ${start}, ${end}, 'test', 'test', ${end}, ${end})`.execute(trx);
  await sql`INSERT INTO invoice (id, customer_id, period, period_start, period_end, customer_name,
    customer_email, customer_country, currency_code, currency, base_token_unit_cost, tax_compound, tax_exempt,
    tokens, subtotal, discount_total, net, tax_total, total, fingerprint, billing_run_id)
    VALUES ('inv_1', ${customerId}, '2026-10', ${start}, ${end}, 'Ada', 'ada@example.com', 'DE', 'EUR', '{}',
    0.00091, false, false, 0, 0, 0, 0, 0, 0, 'f', 'run_1')`.execute(trx);
}

let rowSeq = 0;

/** A customer row written straight to the table (no verb, no sync job): for tests of triggers and indexes. */
export async function insertCustomerRow(
  db: Kysely<Database>,
  values: { country?: string; client_group_id?: bigint | null; currency?: string } = {},
): Promise<bigint> {
  const row = await db
    .insertInto("customer")
    .values({
      email: `row${++rowSeq}-${Date.now()}@example.com`,
      name: "",
      country: values.country ?? "DE",
      currency_code: values.currency ?? "USD",
      tax_exempt: false,
      status: "active",
      client_group_id: values.client_group_id ?? null,
      tax_rule_id: null,
      region: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}
