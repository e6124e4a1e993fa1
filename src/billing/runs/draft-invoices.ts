import { timeOrderedId } from "../../kernel/time-ordered-id.ts";
import { sql } from "kysely";
import type { Tx } from "../../kernel/context.ts";
import { jsonText } from "../../kernel/json.ts";
import type { Anomaly } from "./anomaly.ts";
import type { DraftInvoice, DraftLine } from "./build-invoice.ts";
import type { CustomerSnapshot } from "./customer-snapshot.ts";
import { describeDifference } from "./describe-difference.ts";
import { voidInvoiceAnomaly } from "./void-invoice-anomaly.ts";
import { columnList, type UnnestColumn, unnestRows } from "../../db/unnest-rows.ts";

interface InvoiceRow {
  id: string;
  draft: DraftInvoice;
  customer: CustomerSnapshot;
  /** The invoice's base token unit cost as text, which each of its lines also carries. */
  unitCost: string;
}

interface LineRow {
  invoiceId: string;
  position: number;
  line: DraftLine;
  unitCost: string;
}

/** An instant as the bulk rows carry it (bigints go as they are: unnest-rows.ts). */
const instant = (v: Date | null) => (v === null ? null : v.toISOString());

function invoiceColumnsFor(c: { run: RunRef; now: string }): UnnestColumn<InvoiceRow>[] {
  // The same for every row of a batch: made once, not once a row. A run prices every draft from one pricing
  // snapshot (draft-all.ts), which holds one row per currency, so a currency's display follows from its code.
  const periodStart = instant(c.run.periodStart);
  const periodEnd = instant(c.run.periodEnd);
  const currencies = new Map<string, string>();
  const currency = (d: DraftInvoice) => {
    let json = currencies.get(d.facts.currency.code);
    if (json === undefined) {
      json = currencyJson(d);
      currencies.set(d.facts.currency.code, json);
    }
    return json;
  };
  return [
    { name: "id", type: "text", value: (r) => r.id },
    { name: "customer_id", type: "bigint", value: (r) => r.draft.customerId },
    { name: "period", type: "text", value: () => c.run.period },
    { name: "period_start", type: "timestamptz", value: () => periodStart },
    { name: "period_end", type: "timestamptz", value: () => periodEnd },
    { name: "customer_name", type: "text", value: (r) => r.customer.name },
    { name: "customer_email", type: "text", value: (r) => r.customer.email },
    { name: "customer_country", type: "text", value: (r) => r.customer.country },
    { name: "customer_region", type: "text", value: (r) => r.customer.region },
    { name: "currency_code", type: "text", value: (r) => r.draft.facts.currency.code },
    { name: "currency", type: "jsonb", value: (r) => currency(r.draft) },
    { name: "base_token_unit_cost", type: "numeric", value: (r) => r.unitCost },
    { name: "tax_compound", type: "boolean", value: (r) => r.draft.facts.taxes.compound },
    { name: "tax_exempt", type: "boolean", value: (r) => r.draft.facts.taxExempt },
    { name: "tokens", type: "bigint", value: (r) => r.draft.tokens },
    { name: "subtotal", type: "bigint", value: (r) => r.draft.totals.subtotal },
    {
      name: "discount_total",
      type: "bigint",
      value: (r) => r.draft.totals.subtotal - r.draft.totals.net,
    },
    { name: "net", type: "bigint", value: (r) => r.draft.totals.net },
    { name: "tax_total", type: "bigint", value: (r) => r.draft.totals.total - r.draft.totals.net },
    { name: "total", type: "bigint", value: (r) => r.draft.totals.total },
    {
      name: "discounts",
      type: "jsonb",
      value: (r) => jsonText(r.draft.discounts.map((x) => ({ ...x, amount: x.amount.toString() }))),
    },
    {
      name: "taxes",
      type: "jsonb",
      value: (r) => jsonText(r.draft.taxes.map((x) => ({ ...x, amount: x.amount.toString() }))),
    },
    { name: "fingerprint", type: "text", value: (r) => r.draft.fingerprint },
    { name: "billing_run_id", type: "text", value: () => c.run.id },
    { name: "created_at", type: "timestamptz", value: () => c.now },
    { name: "updated_at", type: "timestamptz", value: () => c.now },
  ];
}

const LINE_COLUMNS: UnnestColumn<LineRow>[] = [
  { name: "invoice_id", type: "text", value: (r) => r.invoiceId },
  { name: "position", type: "integer", value: (r) => r.position },
  { name: "kind", type: "text", value: (r) => r.line.kind },
  { name: "server_id", type: "bigint", value: (r) => r.line.serverId },
  { name: "server_uuid", type: "text", value: (r) => r.line.serverUuid },
  { name: "server_name", type: "text", value: (r) => r.line.serverName },
  { name: "plan_name", type: "text", value: (r) => r.line.planName },
  { name: "plan_id", type: "bigint", value: (r) => r.line.planId },
  { name: "backup_percent", type: "numeric", value: (r) => r.line.backupPercent },
  { name: "server_created_at", type: "timestamptz", value: (r) => instant(r.line.serverCreatedAt) },
  { name: "server_deleted_at", type: "timestamptz", value: (r) => instant(r.line.serverDeletedAt) },
  { name: "quantity", type: "bigint", value: (r) => r.line.quantity },
  { name: "hours", type: "bigint", value: (r) => r.line.hours },
  { name: "charge_kind", type: "text", value: (r) => r.line.charge },
  { name: "tokens", type: "bigint", value: (r) => r.line.tokens },
  { name: "recomputed_tokens", type: "bigint", value: (r) => r.line.recomputedTokens },
  { name: "unit_cost", type: "numeric", value: (r) => r.unitCost },
  { name: "amount", type: "bigint", value: (r) => r.line.amount },
];

/** The currency's display as the invoice keeps it (the renderings' CurrencyDisplay). */
function currencyJson(d: DraftInvoice): string {
  const c = d.facts.currency;
  return jsonText({
    code: c.code,
    exponent: c.decimals,
    displayPrefix: c.display_prefix,
    displaySuffix: c.display_suffix,
    thousandsSeparator: c.thousands_separator,
    decimalsSeparator: c.decimals_separator,
  });
}

export interface RunRef {
  id: string;
  period: string;
  periodStart: Date;
  periodEnd: Date;
}

export interface DraftResult {
  created: number;
  existing: number;
  anomalies: Anomaly[];
}

/**
 * Writes one batch of customers' drafts inside the caller's transaction. The unique (customer_id, period) of
 * the invoices in force (every invoice but a void one released for reissue, migration 027) decides who wins: `ON CONFLICT DO NOTHING` skips customers that already have an invoice (from a killed
 * or concurrent run) and those are compared instead: a difference is reported, never written.
 */
export async function draftInvoices(
  trx: Tx,
  run: RunRef,
  drafts: readonly DraftInvoice[],
  customers: ReadonlyMap<bigint, CustomerSnapshot>,
  now: Date,
): Promise<DraftResult> {
  if (drafts.length === 0) return { created: 0, existing: 0, anomalies: [] };
  const rows: InvoiceRow[] = drafts.map((d) => ({
    id: timeOrderedId("inv"),
    draft: d,
    customer: customers.get(d.customerId)!,
    unitCost: d.base.toString(),
  }));
  const context = { run, now: now.toISOString() };
  const invoiceColumns = invoiceColumnsFor(context);
  const lines: LineRow[] = rows.flatMap((r) =>
    r.draft.lines.map((line, position) => ({
      invoiceId: r.id,
      position,
      line,
      unitCost: r.unitCost,
    })),
  );
  // One statement: the invoices that won their (customer, period) slot, and only their lines (the join with
  // what the insert returned), so a batch costs one round trip however it splits between won and lost.
  const inserted = await sql<{ id: string; customer_id: bigint }>`
    WITH won AS (
      INSERT INTO invoice (${columnList(invoiceColumns)}) ${unnestRows(invoiceColumns, rows)}
      ON CONFLICT (customer_id, period) WHERE released_at IS NULL DO NOTHING
      RETURNING id, customer_id
    ), added AS (
      INSERT INTO invoice_line (${columnList(LINE_COLUMNS)})
      SELECT l.* FROM (${unnestRows(LINE_COLUMNS, lines)}) AS l (${columnList(LINE_COLUMNS)})
      JOIN won ON won.id = l.invoice_id
    )
    SELECT id, customer_id FROM won`.execute(trx);
  const won = new Set(inserted.rows.map((r) => r.customer_id));

  const lost = drafts.filter((d) => !won.has(d.customerId));
  const anomalies = lost.length > 0 ? await compareWithStored(trx, run, lost) : [];
  return { created: won.size, existing: lost.length, anomalies };
}

/** A finalized invoice never changes (§5): a re-run that computes something else reports the difference. */
async function compareWithStored(trx: Tx, run: RunRef, drafts: readonly DraftInvoice[]): Promise<Anomaly[]> {
  const stored = await trx
    .selectFrom("invoice")
    .select([
      "id",
      "customer_id",
      "status",
      "number",
      "fingerprint",
      "total",
      "tokens",
      "currency_code",
      "discounts",
      "taxes",
      "void_reason",
    ])
    .where("period", "=", run.period)
    .where("released_at", "is", null)
    .where(
      "customer_id",
      "in",
      drafts.map((d) => d.customerId),
    )
    .execute();
  const byCustomer = new Map(stored.map((s) => [s.customer_id, s]));
  // A void invoice bills nothing, whatever its fingerprint: its usage is reported as unbilled.
  const voided = drafts.filter((d) => byCustomer.get(d.customerId)?.status === "void");
  const unbilled = voided.map((d) => voidInvoiceAnomaly(byCustomer.get(d.customerId)!, run.period, d));
  const differing = drafts.filter((d) => {
    const s = byCustomer.get(d.customerId);
    return s?.status !== "void" && s?.fingerprint !== d.fingerprint;
  });
  if (differing.length === 0) return unbilled;
  const storedLines = await trx
    .selectFrom("invoice_line")
    .select(["invoice_id", "position", "kind", "server_id", "plan_id", "tokens", "amount"])
    .where(
      "invoice_id",
      "in",
      differing.map((d) => byCustomer.get(d.customerId)!.id),
    )
    .execute();
  const differences = differing.map((d) => {
    const s = byCustomer.get(d.customerId)!;
    return describeDifference(
      s,
      storedLines.filter((l) => l.invoice_id === s.id),
      d,
    );
  });
  return [...unbilled, ...differences];
}
