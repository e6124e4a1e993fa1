import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordPayment } from "../payments/record-payment.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { type StripeWorld, startStripeWorld } from "../providers/testing/stripe-world.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { type SettledAs, settledWays } from "../documents/settled-ways.ts";
import { setPortalPassword } from "../../services/portal-accounts/portal-accounts.ts";
import { PortalClient } from "../../web/portal/testing/portal-fixtures.ts";
import { creditNoteSettlements, settledAs } from "./credit-note-settlements.ts";

// Where a credit note's money went is read twice: row by row by the settlement reader (its PDF, its Settled
// cell in the portal, the API's documents) and as a SQL condition by the portal's filter, which must narrow
// the list before its page is cut. Both come from one table of parts (settled-ways.ts); this checks they still
// agree on a note of every kind, card refunds in every state included.

let world: StripeWorld;
let customerId: bigint;
/** Each kind of note by what it is called here, with its id and number. */
const notes = new Map<string, { id: string; number: string }>();

/** Issues a note through the admin API as staff would. */
async function note(kind: string, invoice: string, amount: number, settlement: "credit" | "refund") {
  const answer = await world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount,
    reason: kind,
    settlement,
  });
  expect(answer.status, kind).toBe(201);
  notes.set(kind, { id: answer.body.data.id, number: answer.body.data.number });
  return answer.body.data.id as string;
}

/** The Stripe refund of note `kind`'s card refund. */
async function cardRefundOf(kind: string): Promise<string> {
  const row = await world.db
    .selectFrom("refund")
    .select("provider_refund_id")
    .where("credit_note_id", "=", notes.get(kind)!.id)
    .executeTakeFirstOrThrow();
  return row.provider_refund_id!;
}

async function settle(kind: string, status: "succeeded" | "failed") {
  expect((await world.deliver(world.fake.settleRefund(await cardRefundOf(kind), status))).status).toBe(200);
}

/** What each kind of note must be filed under: the decision the docs (portal.md, api.md) state. */
const EXPECTED: Record<string, SettledAs[]> = {
  "credit on an unpaid invoice": ["invoice"],
  "refund asked on an unpaid invoice": ["invoice"],
  "refund asked on a part-paid invoice": ["invoice", "refund"],
  "kept as credit": ["credit"],
  "card refund made": ["refund"],
  "card refund pending": ["refund"],
  "card refund failed": ["credit"],
  "card refund failed after it was made": ["credit"],
};

beforeAll(async () => {
  world = await startStripeWorld();
  const email = "settled-as@example.com";
  [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  // The notes on unpaid invoices first: credit freed later pays open invoices, and would leave nothing due.
  const [unpaidA, unpaidB, partPaid] = (await issueInvoices(world.db, [
    { customerId, total: 1000n },
    { customerId, total: 1000n },
    { customerId, total: 1000n },
  ])) as [string, string, string];
  await note("credit on an unpaid invoice", unpaidA, 100, "credit");
  await note("refund asked on an unpaid invoice", unpaidB, 100, "refund");
  await recordPayment({
    ctx: world.context(),
    input: { invoice_id: partPaid, amount: 900n, method: "bank_transfer", reference: "settled-as-bt" },
  });
  // $1.00 still due: $1.00 lowers it, the $2.00 paid beyond goes back by bank transfer.
  await note("refund asked on a part-paid invoice", partPaid, 300, "refund");

  const byCard = async () => (await world.paidByCard({ customerId, total: 1000n })).invoice;
  await note("kept as credit", await byCard(), 250, "credit");
  await note("card refund made", await byCard(), 250, "refund");
  await note("card refund pending", await byCard(), 250, "refund");
  await note("card refund failed", await byCard(), 250, "refund");
  await note("card refund failed after it was made", await byCard(), 250, "refund");
  await settle("card refund made", "succeeded");
  await settle("card refund failed", "failed");
  await settle("card refund failed after it was made", "succeeded");
  // An open invoice for the money the bank sends back to pay (reverseRefund): the note's third way.
  await issueInvoices(world.db, [{ customerId, total: 100n }]);
  await settle("card refund failed after it was made", "failed");

  await setPortalPassword({
    ctx: world.context(),
    input: { customer_id: customerId, password: "settled as pw" },
  });
});
afterAll(async () => {
  await world?.close();
});

/** The numbers of this customer's notes the SQL filter selects as settled `how`. */
async function filtered(how: SettledAs): Promise<string[]> {
  const rows = await world.db
    .selectFrom("credit_note")
    .select("number")
    .where("customer_id", "=", customerId)
    .where(settledAs(how))
    .execute();
  return rows.map((r) => r.number).sort();
}

describe("a credit note's settlement, read by the reader and by the filter", () => {
  it("covers every way a card refund ends, and a refund the bank sent back that paid an invoice", async () => {
    const settlements = await creditNoteSettlements(
      world.db,
      [...notes.values()].map((n) => n.id),
    );
    const of = (kind: string) => settlements.find((s) => s.number === notes.get(kind)!.number)!;
    expect(of("card refund pending").refundPending).toBeGreaterThan(0n);
    expect(of("card refund failed").refundFailed).toBeGreaterThan(0n);
    expect(of("card refund failed after it was made").refundFailedPaidInvoices).toBeGreaterThan(0n);
    expect(of("refund asked on a part-paid invoice").refundedByHand).not.toEqual([]);
  });

  it("files each note under the same ways, row by row and in SQL", async () => {
    const settlements = await creditNoteSettlements(
      world.db,
      [...notes.values()].map((n) => n.id),
    );
    const byReader = new Map(settlements.map((s) => [s.number, settledWays(s)]));
    const bySql = new Map<string, SettledAs[]>([...notes.values()].map((n) => [n.number, []]));
    for (const how of ["invoice", "refund", "credit"] as const)
      for (const number of await filtered(how)) bySql.get(number)!.push(how);
    for (const [kind, { number }] of notes) {
      expect(bySql.get(number), `${kind}: the filter`).toEqual(EXPECTED[kind]);
      expect(byReader.get(number), `${kind}: the reader`).toEqual(EXPECTED[kind]);
    }
  });

  it("lists a pending card refund under refund and a failed one under credit in the portal", async () => {
    const portal = new PortalClient(world.server.url);
    await portal.logIn("settled-as@example.com", "settled as pw");
    for (const how of ["invoice", "refund", "credit"] as const) {
      const page = await portal.get(`/portal/credit-notes?settled=${how}`);
      expect(page.status, how).toBe(200);
      const listed = [...page.text.matchAll(/data-label="Credit note">([^<]*)</g)].map((m) => m[1]).sort();
      const wanted = [...notes].filter(([kind]) => EXPECTED[kind]!.includes(how)).map(([, n]) => n.number);
      expect(listed, how).toEqual(wanted.sort());
    }
  });

  it("filters the API's list by the same words (`settled`), beside the `settlement` staff asked for", async () => {
    for (const how of ["invoice", "refund", "credit"] as const) {
      const answer = await world.server.api(
        "GET",
        `/api/v1/credit-notes?customer_id=${customerId}&settled=${how}`,
      );
      expect(answer.status, how).toBe(200);
      const listed = (answer.body.data as { number: string }[]).map((n) => n.number).sort();
      expect(listed, how).toEqual(await filtered(how));
      expect(listed.length, how).toBeGreaterThan(0);
    }
    // A "refund" asked on an unpaid invoice: settlement says what was asked, settled what became of it.
    const asked = notes.get("refund asked on an unpaid invoice")!;
    const invoiceList = await world.server.api(
      "GET",
      `/api/v1/credit-notes?customer_id=${customerId}&settled=invoice`,
    );
    const row = (invoiceList.body.data as { number: string; settlement: string }[]).find(
      (n) => n.number === asked.number,
    );
    expect(row?.settlement).toBe("refund");
    const refused = await world.server.api("GET", "/api/v1/credit-notes?settled=refunded");
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/must be invoice, refund or credit/);
  });

  it("says in the API's credit note how much went each way (`settled`), summing to its total, list and note alike", async () => {
    const list = await world.server.api("GET", `/api/v1/credit-notes?customer_id=${customerId}&per_page=100`);
    expect(list.status).toBe(200);
    type Answered = { id: string; total: number; settled: Record<SettledAs, number> };
    const listed = new Map((list.body.data as Answered[]).map((n) => [n.id, n]));
    for (const [kind, { id }] of notes) {
      const answer = await world.server.api("GET", `/api/v1/credit-notes/${id}`);
      expect(answer.status, kind).toBe(200);
      const { total, settled } = answer.body.data as Answered;
      const ways = (["invoice", "refund", "credit"] as const).filter((how) => BigInt(settled[how]) > 0n);
      expect(ways, kind).toEqual(EXPECTED[kind]);
      for (const how of ["invoice", "refund", "credit"] as const)
        expect(BigInt(settled[how]), `${kind}: ${how}`).toBeGreaterThanOrEqual(0n);
      expect(BigInt(settled.invoice) + BigInt(settled.refund) + BigInt(settled.credit), kind).toBe(
        BigInt(total),
      );
      expect(listed.get(id)?.settled, `${kind}: the list`).toEqual(settled);
    }
  });
});
