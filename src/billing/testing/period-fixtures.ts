import { sql } from "kysely";
import { expect } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { UsageRecord } from "../../domain/usage-record.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { runBilling } from "../runs/run-billing.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { billingContext, createCustomers, createTaxRule, usageOf } from "./billing-fixtures.ts";

// One period's books, the same in every fresh database (src/billing/runs/run-safety.db.test.ts and the tests
// beside it): 30 customers in two currencies, three tax set-ups and a discount, batches of 7.

export const CUSTOMERS = 30;
export const BATCH = 7;
const handles: DatabaseHandle[] = [];

/** Closes the databases setUpPeriod opened (a test file's afterEach). */
export async function closePeriodDatabases(): Promise<void> {
  await Promise.all(handles.splice(0).map((h) => h.close()));
}

/** A fresh database with the same customers and usage every time, so results can be compared across them. */
export async function setUpPeriod(): Promise<{
  ctx: ServiceContext;
  usage: UsageRecord[];
  handle: DatabaseHandle;
}> {
  const handle = await createTestDatabase();
  handles.push(handle);
  const compound = await createTaxRule(handle, {
    name: "compound",
    compound: true,
    rates: [
      { label: "City Tax", rate: "6" },
      { label: "State Tax", rate: "2" },
    ],
  });
  const simple = await createTaxRule(handle, {
    name: "VAT",
    compound: false,
    rates: [{ label: "VAT", rate: "19" }],
  });
  const ids = await createCustomers(
    handle,
    Array.from({ length: CUSTOMERS }, (_, i) => ({
      email: `c${i}@example.com`,
      currency: i % 3 === 0 ? "EUR" : "USD",
      taxRuleId: i % 4 === 0 ? null : i % 2 === 0 ? compound : simple,
      discounts: i % 5 === 0 ? [{ name: "loyal", multiplier: "0.9" }] : [],
    })),
  );
  const usage = ids.flatMap((id, i) =>
    Array.from({ length: 1 + (i % 3) }, (_, k) =>
      usageOf({
        billingUserId: id,
        serverId: 10_000 + i * 10 + k,
        tph: [7, 14, 28][k]!,
        tpm: [5000, 10000, 0][k]!,
        createdAt: `2026-10-${String(1 + ((i + k) % 27)).padStart(2, "0")}T0${k}:30:00Z`,
        deletedAt: k === 1 ? null : `2026-10-28T${String(10 + k).padStart(2, "0")}:00:00Z`,
        ips: k === 0 ? { count: i % 2, tph: 1, tpm: 500 } : undefined,
      }),
    ),
  );
  return { ctx: billingContext(handle, { BILLING_BATCH_SIZE: BATCH }), usage, handle };
}

/** Everything that makes the invoices of a period, keyed by customer e-mail. */
export async function invoicesOf(handle: DatabaseHandle) {
  const rows = await handle.db
    .selectFrom("invoice")
    .innerJoin("customer", "customer.id", "invoice.customer_id")
    .select([
      "customer.email",
      "invoice.number",
      "invoice.status",
      "invoice.total",
      "invoice.currency_code",
      "invoice.fingerprint",
      (eb) =>
        eb
          .selectFrom("invoice_line")
          .select(sql<string>`string_agg(tokens::text || ':' || amount::text, ',' ORDER BY position)`.as("l"))
          .whereRef("invoice_line.invoice_id", "=", "invoice.id")
          .as("lines"),
    ])
    .where("invoice.period", "=", "2026-10")
    .orderBy("invoice.customer_id")
    .execute();
  return rows;
}

export function expectGapless(invoices: { number: string | null }[]) {
  const numbers = invoices.map((i) => i.number);
  expect(numbers).toEqual(invoices.map((_, i) => `INV-2026-${String(i + 1).padStart(6, "0")}`));
}

let reference: Awaited<ReturnType<typeof invoicesOf>> | undefined;

export async function referenceInvoices() {
  if (!reference) {
    const { ctx, usage, handle } = await setUpPeriod();
    await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
    reference = await invoicesOf(handle);
  }
  return reference;
}
