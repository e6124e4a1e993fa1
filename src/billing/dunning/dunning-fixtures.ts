import { sql } from "kysely";
import type { Db } from "../../kernel/context.ts";
import { jsonText } from "../../kernel/json.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import { postLedgerEvent } from "../ledger/ledger.ts";

// Test fixtures: an issued invoice with its ledger entry, as finalization writes it (`fin:<id>`: receivable
// +total, sales −total). Finalization itself (src/billing/runs) does not post ledger entries yet, so the
// dunning tests write both here. The invoice is one a run could issue: in the customer's currency (a customer's
// currency cannot change once it has an invoice), keeping the currency snapshot finalization keeps
// (draft-invoices.ts currencyJson). Until 2026-12-07 it defaulted to USD whatever the customer's currency and
// kept the currency table's row, whose display_prefix… no reader knows, so pages and the API showed no symbol.

let seq = 0;

export async function issueInvoice(
  db: Db,
  input: { customerId: bigint; total: bigint; dueDate: string; currency?: string },
): Promise<string> {
  const n = ++seq;
  const id = `inv_${(0xd000 + n).toString(16)}${Date.now().toString(16)}`;
  const runId = `run_${id.slice(4)}`;
  // One invoice per (customer, period): each fixture invoice gets a period of its own.
  const period = `${2100 + n}-10`;
  const customer = await db
    .selectFrom("customer")
    .select("currency_code")
    .where("id", "=", input.customerId)
    .executeTakeFirstOrThrow();
  const currency = input.currency ?? customer.currency_code;
  if (currency !== customer.currency_code)
    throw new Error(
      `issueInvoice: ${currency} invoice, but the customer's currency is ${customer.currency_code}`,
    );
  const start = new Date("2026-10-01T00:00:00Z");
  const end = new Date("2026-11-01T00:00:00Z");
  await sql`INSERT INTO billing_run (id, period, period_start, period_end, source, actor, started_at, heartbeat_at)
    VALUES (${runId}, ${period}, ${start}, ${end}, 'test', 'test', ${end}, ${end})`.execute(db);
  const currencyRow = await db
    .selectFrom("currency")
    .selectAll()
    .where("code", "=", currency)
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO invoice (id, customer_id, period, period_start, period_end, customer_name,
    customer_email, customer_country, currency_code, currency, base_token_unit_cost, tax_compound, tax_exempt,
    tokens, subtotal, discount_total, net, tax_total, total, fingerprint, billing_run_id, status, number,
    number_sequence, number_value, issue_date, due_date, finalized_at)
    VALUES (${id}, ${input.customerId}, ${period}, ${start}, ${end}, 'Dun', 'dun@example.com', 'US', ${currency},
    ${jsonText(currencyDisplayOf(currencyRow))}, ${currencyRow.token_unit_cost}, false, false, 0, ${input.total}, 0, ${input.total}, 0, ${input.total},
    'f', ${runId}, 'finalized', ${`DUN-${id}`}, 'DUN', ${n}, '2026-11-01', ${input.dueDate}, ${end})`.execute(
    db,
  );
  await db.transaction().execute((trx) =>
    postLedgerEvent(trx, {
      id: `fin:${id}`,
      kind: "invoice_finalized",
      customerId: input.customerId,
      currency,
      at: end,
      lines: [
        { account: "receivable", amount: input.total, invoiceId: id },
        { account: "sales", amount: -input.total },
      ],
    }),
  );
  return id;
}

export async function createDunCustomer(
  db: Db,
  input: {
    email: string;
    status?: "active" | "locked" | "suspended";
    source?: "staff" | "dunning" | null;
    reason?: string | null;
    currency?: string;
  },
): Promise<bigint> {
  const row = await db
    .insertInto("customer")
    .values({
      email: input.email,
      name: input.email.split("@")[0]!,
      country: "US",
      region: null,
      currency_code: input.currency ?? "USD",
      tax_exempt: false,
      status: input.status ?? "active",
      status_source: input.source ?? null,
      status_reason: input.reason ?? null,
      client_group_id: null,
      tax_rule_id: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}
