import { sql } from "kysely";
import { z } from "zod";
import { customerScope } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { customerBalance } from "../ledger/ledger.ts";
import { customerCreditHeld } from "./spendable-credit.ts";
import { fieldError } from "./field-error.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

/** A JSON integer while exact (below 2^53, src/kernel/json.ts); beyond, a string of its digits. */
const minor = z.bigint().meta({
  type: "integer",
  description:
    "minor units of the customer's currency; a string of digits beyond 2^53, which a sum of many large amounts can reach",
});

export const StatementEntry = z.object({
  date: z.string().meta({ description: "when it was recorded (ISO instant)" }),
  kind: z.enum(["invoice", "payment", "refund", "credit_note", "credit_applied"]),
  event_id: z.string(),
  reference: z
    .string()
    .meta({ description: "invoice or credit note number, payment method and reference, refund id" }),
  invoice_id: z.string().nullable(),
  payment_id: z.string().nullable(),
  credit_note_id: z.string().nullable().meta({
    description:
      "the credit note of a credit_note entry, and of the refund entries that tell what it paid back; null for other entries",
  }),
  paid_at: z.string().nullable().meta({
    description:
      "a payment's own date, as recorded with it (ISO instant; it may be days before `date`, when the payment was recorded); null for other entries",
  }),
  amount: minor.meta({
    description:
      "what it changed in the balance (+ owed, − paid or credited); credit_applied: the credit it moved onto the invoice (the balance does not change)",
  }),
  balance: minor.meta({ description: "the running balance after it" }),
  refund_method: z.string().nullable().meta({
    description:
      "a refund's way back: the method of the payment it returned money of. A payment provider's (`stripe`): refunded to the card through the provider; any other (`bank_transfer`, `cash`, `cheque`, `manual`, …): paid back that way outside the provider, as staff recorded it. A credit note's refunds of payments made different ways are one entry per method. On a refund that failed after it had succeeded (a negative amount: the bank sent the money back), the method of the refund that failed. null for other entries",
  }),
});
export type StatementEntry = z.output<typeof StatementEntry>;

export const Statement = z.object({
  customer_id: z.number().int(),
  currency: z.string(),
  balance: minor.meta({
    description: "Σ amounts due − credit: positive, the customer owes; negative, in credit",
  }),
  credit: minor.meta({
    description:
      "credit the customer holds, what tokenbill owes them (counted in balance); what of it is not credit_held pays new invoices at finalization",
  }),
  credit_held: minor.meta({
    description:
      "the part of credit held for card refunds the payment provider has not settled yet (a credit note's, or a payment's own refund taking back the payment's unused credit): it goes back to the card, and pays no invoice meanwhile; credit available = credit − credit_held",
  }),
  entries: z.array(StatementEntry),
});
export type Statement = z.output<typeof Statement>;

/**
 * The customer's statement in its currency (billing-rules §7): one entry per ledger event, oldest first,
 * with the running balance (a credit note settled as a refund is two or more: the note, then what it paid back,
 * one refund entry per payment method) — a projection of the ledger, like the balance and credit it ends with. The
 * CSV and PDF renderings are built on this.
 */
export async function customerStatement(ctx: ServiceContext, customerId: bigint): Promise<Statement> {
  const customer = await ctx.db
    .selectFrom("customer")
    .select(["id", "currency_code"])
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw fieldError("NOT_FOUND", "customer_id", `customer ${customerId} not found`);
  const currency = customer.currency_code;
  const events = await statementEvents(ctx, customerId, currency).orderBy(sql`min(id)`).execute();
  const entries = await statementEntriesOf(ctx, customerId, currency, events, 0n);
  const { credit, held } = await customerCreditHeld(ctx.db, customerId, currency);
  return {
    customer_id: Number(customerId),
    currency,
    balance: await customerBalance(ctx.db, customerId, currency),
    credit,
    credit_held: held,
    entries,
  };
}

/**
 * The customer's ledger events in its currency, one row each, as the statement reads them: `first`, the event's
 * first ledger row id, orders them (ids are unique, so it is a total order) and keys the portal's pages. The
 * caller adds the order, and any bound on `first`.
 */
export function statementEvents(ctx: ServiceContext, customerId: bigint, currency: string) {
  return ledgerEvents(ctx).where("customer_id", "=", customerId).where("currency_code", "=", currency);
}

/**
 * The events named, as statementEvents reads them: a page's, whose ids it read from the customer's own rows
 * (statement-event-keys.ts); an event never spans customers or currencies (the ledger_event_balanced trigger).
 * Read by the event index alone: with the customer's condition beside it, a plan PostgreSQL keeps for the
 * statement read all of the customer's index too (0.5 s for a customer of 100,000 rows).
 */
export function statementEventsNamed(ctx: ServiceContext, eventIds: readonly string[]) {
  return ledgerEvents(ctx).where("event_id", "in", eventIds);
}

function ledgerEvents(ctx: ServiceContext) {
  return ctx.db
    .selectFrom("ledger_entry")
    .select([
      "event_id",
      "event_kind",
      sql<Date>`min(created_at)`.as("at"),
      sql<bigint>`min(id)`.as("first"),
      // Left numeric and read as digits, like the customer's sums (src/billing/ledger/ledger.ts): the
      // running balance is added up here, in bigint, so nothing of the statement passes through int8.
      sql<string>`coalesce(sum(amount) FILTER (WHERE account IN ('receivable', 'credit')), 0)`.as("effect"),
      sql<string>`coalesce(sum(amount) FILTER (WHERE account = 'receivable'), 0)`.as("receivable"),
      // Money paid back by a credit note settled as a refund (cash −): outside the balance, shown apart.
      sql<string>`coalesce(sum(amount) FILTER (WHERE account = 'cash'), 0)`.as("cash"),
      sql<string | null>`max(invoice_id)`.as("invoice_id"),
      sql<string | null>`max(payment_id)`.as("payment_id"),
      sql<string | null>`max(refund_id)`.as("refund_id"),
      sql<string | null>`max(credit_note_id)`.as("credit_note_id"),
    ])
    .groupBy(["event_id", "event_kind"]);
}

/** One row of statementEvents. */
export type StatementEvent = Awaited<ReturnType<ReturnType<typeof statementEvents>["execute"]>>[number];

/**
 * The statement's entries of `events` (oldest first), the running balance starting at `opening`: the balance
 * after every earlier event (0 for the whole statement; the sum of the earlier events' effect for one page of
 * it, statement-page.ts). Each event moves the running balance by its effect: a credit note paid back moves it
 * by the note less what it paid back, then by each way it paid back, whose sum is that (every cash line of a
 * note names its payment, issue-credit-note.ts).
 */
export async function statementEntriesOf(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
  events: readonly StatementEvent[],
  opening: bigint,
): Promise<StatementEntry[]> {
  const ids = (key: "invoice_id" | "payment_id" | "credit_note_id") => [
    ...new Set(events.map((e) => e[key]).filter((v): v is string => v !== null)),
  ];
  const notes = events.filter((e) => e.event_kind === "credit_note" && BigInt(e.cash) !== 0n);
  const [invoices, payments, noteNumbers, paidBackByNotes] = await Promise.all([
    numbersOf(ctx, "invoice", ids("invoice_id")),
    paymentsOf(ctx, ids("payment_id")),
    numbersOf(ctx, "credit_note", ids("credit_note_id")),
    notesPaidBack(
      ctx,
      customerId,
      currency,
      notes.map((e) => e.event_id),
    ),
  ]);
  let running = opening;
  const entries: StatementEntry[] = [];
  for (const e of events) {
    const effect = BigInt(e.effect);
    const kind = kindOf(e.event_kind, e.event_id);
    const payment = kind === "payment" ? payments.get(e.payment_id ?? "") : undefined;
    const reference =
      kind === "payment"
        ? (payment?.label ?? "")
        : kind === "refund"
          ? (e.refund_id ?? "")
          : kind === "credit_note"
            ? (noteNumbers.get(e.credit_note_id ?? "") ?? "")
            : `${invoices.get(e.invoice_id ?? "") ?? ""}${e.event_id.startsWith("void:") ? " (void)" : ""}`;
    const entry = {
      date: new Date(e.at).toISOString(),
      kind,
      event_id: e.event_id,
      reference,
      invoice_id: kind === "payment" && e.payment_id ? null : e.invoice_id,
      payment_id: e.payment_id,
      credit_note_id: e.credit_note_id,
      paid_at: payment ? payment.paidAt.toISOString() : null,
      refund_method: kind === "refund" ? (payments.get(e.payment_id ?? "")?.method ?? null) : null,
    };
    const paidBack = kind === "credit_note" ? -BigInt(e.cash) : 0n;
    if (paidBack === 0n) {
      running += effect;
      entries.push({
        ...entry,
        amount: kind === "credit_applied" ? BigInt(e.receivable) : effect,
        balance: running,
      });
      continue;
    }
    // A credit note settled as a refund: the note takes its whole amount off the balance, and the money it
    // paid back puts that part on again. One line of their sum (often 0) would show neither.
    running += effect - paidBack;
    entries.push({ ...entry, payment_id: null, amount: effect - paidBack, balance: running });
    // Then what it paid back, one entry per way the money went (a card's share is refunded later, in an
    // event of its own): a note can return a bank transfer and a cash payment of its invoice together.
    for (const way of paidBackByNotes.get(e.event_id) ?? []) {
      running += way.amount;
      entries.push({
        ...entry,
        kind: "refund",
        reference: way.refundIds.join(", "),
        payment_id: way.paymentIds.size === 1 ? [...way.paymentIds][0]! : null,
        amount: way.amount,
        balance: running,
        refund_method: way.method,
      });
    }
  }
  return entries;
}

function kindOf(kind: string, eventId: string): StatementEntry["kind"] {
  if (kind === "invoice_finalized") return "invoice";
  if (kind === "opening") return eventId.startsWith("open:pay_") ? "payment" : "invoice";
  return kind as StatementEntry["kind"];
}

/** Invoice or credit note numbers by id. */
async function numbersOf(
  ctx: ServiceContext,
  table: "invoice" | "credit_note",
  ids: string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.db.selectFrom(table).select(["id", "number"]).where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r.number ?? ""]));
}

/** Payments by id: "method reference", the payment's own date and its method. */
async function paymentsOf(
  ctx: ServiceContext,
  ids: string[],
): Promise<Map<string, { label: string; paidAt: Date; method: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.db
    .selectFrom("payment")
    .select(["id", "method", "reference", "paid_at"])
    .where("id", "in", ids)
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      { label: `${r.method} ${r.reference}`, paidAt: new Date(r.paid_at), method: r.method },
    ]),
  );
}

/** What a credit note settled as a refund paid back in its own event, one way of paying back. */
interface PaidBackWay {
  method: string;
  /** Positive: what it puts back on the balance. */
  amount: bigint;
  refundIds: string[];
  paymentIds: Set<string>;
}

/**
 * By credit note event, the money it paid back at once (its cash lines: refunds of payments recorded by hand),
 * summed per payment method in the methods' order, as the note's own documents sum them
 * (credit-note-settlements.ts): each way reads apart ("paid back by bank transfer", "… in cash"). Until
 * 2026-12-06 they were one entry naming no way.
 */
async function notesPaidBack(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
  eventIds: string[],
): Promise<Map<string, PaidBackWay[]>> {
  if (eventIds.length === 0) return new Map();
  const lines = await ctx.db
    .selectFrom("ledger_entry")
    .innerJoin("payment", "payment.id", "ledger_entry.payment_id")
    .select([
      "ledger_entry.event_id",
      "ledger_entry.refund_id",
      "ledger_entry.payment_id",
      "ledger_entry.amount",
      "payment.method",
    ])
    .where("ledger_entry.customer_id", "=", customerId)
    .where("ledger_entry.currency_code", "=", currency)
    .where("ledger_entry.event_kind", "=", "credit_note")
    .where("ledger_entry.account", "=", "cash")
    .where("ledger_entry.event_id", "in", eventIds)
    .orderBy("payment.method")
    .orderBy("ledger_entry.refund_id")
    .execute();
  const byEvent = new Map<string, PaidBackWay[]>();
  for (const line of lines) {
    const ways = byEvent.get(line.event_id) ?? [];
    let way = ways.find((w) => w.method === line.method);
    if (!way) {
      way = { method: line.method, amount: 0n, refundIds: [], paymentIds: new Set() };
      ways.push(way);
    }
    way.amount -= BigInt(line.amount);
    if (line.refund_id !== null && !way.refundIds.includes(line.refund_id))
      way.refundIds.push(line.refund_id);
    if (line.payment_id !== null) way.paymentIds.add(line.payment_id);
    byEvent.set(line.event_id, ways);
  }
  return byEvent;
}

/** GET /customers/{id}/statement: a customer reads only its own. */
export const getCustomerStatement = defineVerb(IdParams, async ({ ctx, input }): Promise<Statement> => {
  await requireReadAccess(ctx);
  customerScope(ctx.actor, input.id);
  return customerStatement(ctx, input.id);
});
