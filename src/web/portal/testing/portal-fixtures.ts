import { PageClient } from "../../../../test/helpers/page-client.ts";
import { sql } from "kysely";
import { pino } from "pino";
import { systemContext } from "../../../app/database.ts";
import { issueCreditNote } from "../../../billing/credit-notes/issue-credit-note.ts";
import { postLedgerEvent } from "../../../billing/ledger/ledger.ts";
import { recordPayment } from "../../../billing/payments/record-payment.ts";
import { parseConfig } from "../../../config.ts";
import type { DatabaseHandle } from "../../../db/open-database.ts";
import { actors } from "../../../kernel/actor.ts";
import type { ServiceContext } from "../../../kernel/context.ts";
import { createCustomer } from "../../../services/customers/customers.ts";
import { setPortalPassword } from "../../../services/portal-accounts/portal-accounts.ts";

// Test fixtures for the portal's pages: a customer who can log in, with issued invoices (one with a usage
// line), a payment and a credit note, written through the verbs staff and the API use; and a miniature
// browser (cookies, CSRF tokens from the page) over real HTTP.

export const PORTAL_PASSWORD = "portal test password";

export function operatorContext(handle: DatabaseHandle, now?: Date): ServiceContext {
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  return now ? { ...ctx, now: () => now } : ctx;
}

export interface PortalCustomer {
  id: bigint;
  email: string;
  /** Paid in part: amount due left. */
  invoiceId: string;
  invoiceNumber: string;
  /** Fully unpaid. */
  unpaidInvoiceId: string;
  paymentId: string;
  creditNoteId: string;
  creditNoteNumber: string;
}

/**
 * A customer in USD with two issued invoices (each with a server line "web-1"): the first ($51.40) paid
 * $20.00 and credited $1.00 net, the second ($12.34) unpaid; both due on `dueDate`.
 */
export async function portalCustomer(
  handle: DatabaseHandle,
  input: { email: string; name: string; dueDate: string; currency?: string; single?: boolean },
): Promise<PortalCustomer> {
  const ctx = operatorContext(handle);
  const customer = await createCustomer({
    ctx,
    input: { email: input.email, name: input.name, country: "US", currency: input.currency ?? "USD" },
  });
  const id = BigInt(customer.id);
  await setPortalPassword({ ctx, input: { customer_id: id, password: PORTAL_PASSWORD } });
  const currency = input.currency ?? "USD";
  const invoiceId = await issueInvoiceWithLine(handle, {
    customerId: id,
    dueDate: input.dueDate,
    currency,
    total: 5140n,
    period: "2026-09",
  });
  // `single`: only the first invoice, which is then also the one left to pay.
  const unpaidInvoiceId = input.single
    ? invoiceId
    : await issueInvoiceWithLine(handle, {
        customerId: id,
        dueDate: input.dueDate,
        currency,
        total: 1234n,
        period: "2026-10",
      });
  const payment = await recordPayment({
    ctx,
    input: { invoice_id: invoiceId, amount: 2000n, method: "bank_transfer", reference: `BT-${id}` },
  });
  const note = await issueCreditNote({
    ctx,
    input: { invoice_id: invoiceId, amount: 100n, reason: "Outage" },
  });
  const numbers = await handle.db
    .selectFrom("invoice")
    .select("number")
    .where("id", "=", invoiceId)
    .executeTakeFirstOrThrow();
  return {
    id,
    email: input.email,
    invoiceId,
    invoiceNumber: numbers.number!,
    unpaidInvoiceId,
    paymentId: payment.payment.id,
    creditNoteId: note.id,
    creditNoteNumber: note.number,
  };
}

/**
 * portalCustomer as the portal's page tests make their people: `name` ("Ada"), its e-mail lower-cased at
 * example.com (ada@example.com), both invoices due 2099-01-01 so that none is ever overdue; `single` as
 * portalCustomer's.
 */
export function namedPortalCustomer(
  handle: DatabaseHandle,
  name: string,
  more: { single?: boolean } = {},
): Promise<PortalCustomer> {
  return portalCustomer(handle, {
    email: `${name.toLowerCase()}@example.com`,
    name,
    dueDate: "2099-01-01",
    ...more,
  });
}

let seq = 0;

/**
 * An issued invoice of `total` with one server line ("web-1", 5,000 tokens), written as a run writes it: a
 * draft with its line, then finalized with a number and its ledger entry (receivable +total, sales −total).
 */
export async function issueInvoiceWithLine(
  handle: DatabaseHandle,
  input: { customerId: bigint; dueDate: string; currency: string; total: bigint; period: string },
): Promise<string> {
  const n = ++seq;
  const id = `inv_${(0xa000 + n).toString(16)}${Date.now().toString(16)}`;
  const runId = `run_${id.slice(4)}`;
  const [start, end] = [new Date("2026-10-01T00:00:00Z"), new Date("2026-11-01T00:00:00Z")];
  const db = handle.db;
  const currency = await db
    .selectFrom("currency")
    .selectAll()
    .where("code", "=", input.currency)
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO billing_run (id, period, period_start, period_end, source, actor, started_at, heartbeat_at)
    VALUES (${runId}, ${input.period}, ${start}, ${end}, 'test', 'test', ${end}, ${end})`.execute(db);
  await sql`INSERT INTO invoice (id, customer_id, period, period_start, period_end, customer_name, customer_email,
    customer_country, currency_code, currency, base_token_unit_cost, tax_compound, tax_exempt, tokens, subtotal,
    discount_total, net, tax_total, total, fingerprint, billing_run_id)
    VALUES (${id}, ${input.customerId}, ${input.period}, ${start}, ${end}, 'Portal', 'portal@example.com', 'US',
    ${input.currency}, ${JSON.stringify({
      code: currency.code,
      exponent: currency.exponent,
      displayPrefix: currency.display_prefix,
      displaySuffix: currency.display_suffix,
      thousandsSeparator: currency.thousands_separator,
      decimalsSeparator: currency.decimals_separator,
    })}, 0.001, false, false, 5000, ${input.total}, 0, ${input.total}, 0, ${input.total}, 'f', ${runId})`.execute(
    db,
  );
  await sql`INSERT INTO invoice_line (invoice_id, position, kind, server_id, server_uuid, server_name, plan_name,
    server_created_at, quantity, hours, charge_kind, tokens, recomputed_tokens, unit_cost, amount)
    VALUES (${id}, 0, 'server', 7, 'uuid-7', 'web-1', '1 Core, 1 GB RAM', ${start}, 1, 744, 'monthly_cap', 5000,
    5000, 0.001, ${input.total})`.execute(db);
  await sql`UPDATE invoice SET status = 'finalized', number = ${`INV-P-${n}`}, number_sequence = 'portal-test',
    number_value = ${n}, issue_date = '2026-11-01', due_date = ${input.dueDate}, finalized_at = ${end}
    WHERE id = ${id}`.execute(db);
  await db.transaction().execute((trx) =>
    postLedgerEvent(trx, {
      id: `fin:${id}`,
      kind: "invoice_finalized",
      customerId: input.customerId,
      currency: input.currency,
      at: end,
      lines: [
        { account: "receivable", amount: input.total, invoiceId: id },
        { account: "sales", amount: -input.total },
      ],
    }),
  );
  return id;
}

/** The portal's client (test/helpers/page-client.ts); logIn defaults to PORTAL_PASSWORD. */
export class PortalClient extends PageClient {
  async logIn(email: string, password = PORTAL_PASSWORD): Promise<void> {
    await this.logInTo("portal", email, password);
  }
}

/** A portal client of the server at `server.url`, logged in as `customer` (with PORTAL_PASSWORD). */
export async function loggedInPortal(
  server: { url: string },
  customer: { email: string },
): Promise<PortalClient> {
  const client = new PortalClient(server.url);
  await client.logIn(customer.email);
  return client;
}
