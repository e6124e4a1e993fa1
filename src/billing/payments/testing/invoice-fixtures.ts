import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema.ts";
import { finalizeInvoices } from "../../runs/finalize-invoices.ts";

// Issued invoices without a billing run's usage: a draft row with the given total (and lines, taxes),
// finalized by the real finalizer — numbered, posted to the ledger, credit applied — for money-in tests.

let runId: string | undefined;
let nextPeriod = 0;

async function fixtureRun(db: Kysely<Database>): Promise<string> {
  const found = runId
    ? await db.selectFrom("billing_run").select("id").where("id", "=", runId).executeTakeFirst()
    : undefined;
  if (found) return found.id;
  runId = `run_${randomBytes(6).toString("hex")}`;
  const at = new Date("2020-01-01T00:00:00Z");
  await db
    .insertInto("billing_run")
    .values({
      id: runId,
      period: "2020-01",
      period_start: at,
      period_end: new Date("2020-02-01T00:00:00Z"),
      source: "fixture",
      state: "completed",
      phase: "done",
      error: null,
      actor: "test",
      started_at: at,
      heartbeat_at: at,
      finished_at: at,
    })
    .execute();
  return runId;
}

export interface FixtureInvoice {
  customerId: bigint;
  /** The total when no lines/taxes are given: net = total, no tax. */
  total: bigint;
  currency?: string;
  taxes?: { label: string; rate: string; amount: bigint }[];
  taxCompound?: boolean;
  lines?: bigint[];
  /**
   * Its month, for a test that shows it on a page (the pages read periods from 1970 on); by default the
   * next of a series from 1900, so that no two fixture invoices of a customer share one.
   */
  period?: string;
}

/**
 * Drafts then finalizes invoices (one period each, in order), as of `now`; returns their ids in order. With
 * `draftOnly` they stay drafts (their period is the invoice's `period`).
 */
export async function issueInvoices(
  db: Kysely<Database>,
  specs: FixtureInvoice[],
  options: { now?: Date; applyCredit?: boolean; draftOnly?: boolean } = {},
): Promise<string[]> {
  const billingRunId = await fixtureRun(db);
  const now = options.now ?? new Date("2026-11-01T01:00:00Z");
  const ids: string[] = [];
  for (const spec of specs) {
    const period =
      spec.period ??
      `${1900 + Math.floor(nextPeriod / 12)}-${String((nextPeriod % 12) + 1).padStart(2, "0")}`;
    nextPeriod++;
    const id = `inv_${randomBytes(8).toString("hex")}`;
    const taxTotal = (spec.taxes ?? []).reduce((s, t) => s + t.amount, 0n);
    const net = spec.total - taxTotal;
    const lines = spec.lines ?? [net];
    const code = spec.currency ?? "USD";
    await db
      .insertInto("invoice")
      .values({
        id,
        customer_id: spec.customerId,
        period,
        period_start: new Date(`${period}-01T00:00:00Z`),
        period_end: new Date(`${period}-28T00:00:00Z`),
        status: "draft",
        number: null,
        number_sequence: null,
        number_value: null,
        customer_name: "fixture",
        customer_email: "fixture@example.com",
        customer_country: "US",
        customer_region: null,
        currency_code: code,
        currency: JSON.stringify({
          code,
          exponent: 2,
          displayPrefix: "$",
          displaySuffix: "",
          thousandsSeparator: ",",
          decimalsSeparator: ".",
        }),
        base_token_unit_cost: "0.01",
        tax_compound: spec.taxCompound ?? false,
        tax_exempt: false,
        tokens: net,
        subtotal: net,
        discount_total: 0n,
        net,
        tax_total: taxTotal,
        total: spec.total,
        discounts: "[]",
        taxes: JSON.stringify((spec.taxes ?? []).map((t) => ({ ...t, amount: String(t.amount) }))),
        fingerprint: id,
        billing_run_id: billingRunId,
        issue_date: null,
        due_date: null,
        finalized_at: null,
        paid_at: null,
        paid_date: null,
        paid_amount: null,
        paid_reference: null,
        voided_at: null,
        void_reason: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    if (lines.length > 0 && lines.some((l) => l > 0n)) {
      await db
        .insertInto("invoice_line")
        .values(
          lines.map((amount, position) => ({
            invoice_id: id,
            position,
            kind: "server" as const,
            server_id: BigInt(position + 1),
            server_uuid: `uuid-${position}`,
            server_name: `server-${position}`,
            plan_name: "fixture",
            server_created_at: now,
            server_deleted_at: null,
            quantity: 1n,
            hours: 1n,
            charge_kind: "hourly" as const,
            tokens: amount,
            recomputed_tokens: amount,
            unit_cost: "0.01",
            amount,
          })),
        )
        .execute();
    }
    ids.push(id);
    // A test that finalizes the draft itself, as a billing run's finalizer does (finalizeInvoices).
    if (options.draftOnly) continue;
    await db.transaction().execute((trx) =>
      finalizeInvoices(trx, {
        period,
        limit: 10,
        issueDate: now.toISOString().slice(0, 10),
        paymentTermsDays: 14,
        format: "FIX-{000000}",
        now,
        ...(options.applyCredit === undefined ? {} : { applyCredit: options.applyCredit }),
      }),
    );
  }
  return ids;
}
