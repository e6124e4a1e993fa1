import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ADMIN_KEY } from "../../../test/helpers/test-server.ts";
import { pdfText } from "../documents/testing/pdf-text.ts";
import { type StripeWorld, startStripeWorld } from "../providers/testing/stripe-world.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { createStaffPerRole, PageClient } from "../../web/console/pricing-test-client.ts";

// A credit note settled as a refund of a card payment: the refund is pending until Stripe's webhook settles
// it, and the invoice's HTML and PDF say so. Until 2026-12-06 they read "kept as credit" until it settled,
// and a refund that failed read like a note settled as credit. The console's invoice page lists each note
// with the same words.

let world: StripeWorld;
let staff: PageClient;
beforeAll(async () => {
  world = await startStripeWorld();
  await createStaffPerRole(world.handle, ["support"]);
  staff = await new PageClient(world.server.url).logIn("support@example.com");
});
afterAll(async () => {
  await world?.close();
});

const get = (path: string) =>
  fetch(world.server.url + path, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
const html = async (invoice: string) => (await get(`/api/v1/invoices/${invoice}/html`)).text();
/** The PDF's text on one line: its totals column wraps a long label, so words are kept apart by spaces. */
const pdf = async (invoice: string) =>
  (await pdfText(Buffer.from(await (await get(`/api/v1/invoices/${invoice}/pdf`)).arrayBuffer()))).replace(
    /\s+/g,
    " ",
  );

/** The console invoice page's credit note row: its total and how it was settled. */
const consoleRow = async (invoice: string, number: string) =>
  new RegExp(
    `<tr><td><a href="/console/credit-notes/[^"]+">${number}</a></td><td><time[^>]*>[^<]*</time></td><td>[^<]*</td>` +
      '<td class="num">([^<]*)</td><td>([^<]*)</td></tr>',
  )
    .exec((await staff.get(`/console/invoices/${invoice}`)).text)
    ?.slice(1, 3);

/** The note's row in the HTML totals, and whether the PDF says the same words. */
async function noteRow(
  invoice: string,
  number: string,
): Promise<{ html: string; pdfSays: (w: string) => boolean }> {
  const row = new RegExp(`<th scope="row">Credit note ${number} of [^<]*</th><td>[^<]*</td>`).exec(
    await html(invoice),
  );
  const text = await pdf(invoice);
  return { html: row?.[0] ?? "", pdfSays: (words) => text.includes(words) };
}

async function cardPaidWithRefundNote(email: string, total: bigint, noteAmount: number) {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { invoice, payment } = await world.paidByCard({ customerId, total });
  const note = await world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount: noteAmount,
    reason: "outage",
    settlement: "refund",
  });
  expect(note.status).toBe(201);
  const refunds = await world.db
    .selectFrom("refund")
    .select(["id", "status", "provider_refund_id"])
    .where("credit_note_id", "=", note.body.data.id)
    .execute();
  return { customerId, invoice, payment, number: note.body.data.number as string, refunds };
}

describe("a credit note's card refund on the invoice's documents", () => {
  it("says refund pending until Stripe settles it, then refunded, then where the money went when it failed", async () => {
    const { customerId, invoice, number, refunds } = await cardPaidWithRefundNote(
      "refund-states-1@example.com",
      1000n,
      250,
    );
    const [refund] = refunds;
    expect(refund?.status).toBe("pending");

    let row = await noteRow(invoice, number);
    expect(row.html).toBe(
      `<th scope="row">Credit note ${number} of $2.50: refund pending</th><td>$0.00</td>`,
    );
    expect(row.pdfSays("$2.50: refund pending")).toBe(true);
    expect(row.pdfSays("kept as credit")).toBe(false);
    expect(await consoleRow(invoice, number)).toEqual(["$2.50", "refund pending"]);

    const settled = await world.deliver(world.fake.settleRefund(refund!.provider_refund_id!, "succeeded"));
    expect(settled.body.outcome).toBe("processed");
    row = await noteRow(invoice, number);
    expect(row.html).toBe(`<th scope="row">Credit note ${number} of $2.50: refunded</th><td>$0.00</td>`);
    expect(row.pdfSays("$2.50: refunded")).toBe(true);
    expect(await consoleRow(invoice, number)).toEqual(["$2.50", "refunded"]);

    // The bank sends the money back after Stripe said succeeded: it pays the customer's open invoice
    // ($1.00 due) and the rest ($1.50) is credit (reverseRefund).
    await issueInvoices(world.db, [{ customerId, total: 100n }]);
    const reversed = await world.deliver(world.fake.settleRefund(refund!.provider_refund_id!, "failed"));
    expect(reversed.body.outcome).toBe("processed");
    row = await noteRow(invoice, number);
    expect(row.html).toBe(
      `<th scope="row">Credit note ${number} of $2.50: $1.50 refund failed, kept as credit, ` +
        "$1.00 refund failed, paid open invoices</th><td>$0.00</td>",
    );
    expect(row.pdfSays("refund failed, kept as credit, $1.00 refund failed, paid open invoices")).toBe(true);
    expect(await consoleRow(invoice, number)).toEqual([
      "$2.50",
      "$1.50 refund failed, kept as credit, $1.00 refund failed, paid open invoices",
    ]);
  });

  it("says a refund Stripe refused failed and its amount was kept as credit", async () => {
    const [customerId] = (await createCustomers(world.handle, [
      { email: "refund-states-2@example.com" },
    ])) as [bigint];
    const { invoice, payment } = await world.paidByCard({ customerId, total: 300n });
    // Refunded in Stripe's Dashboard without tokenbill hearing of it yet: Stripe refuses a second refund.
    world.fake.addRefund({
      id: "re_states_elsewhere",
      amount: 300,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    const note = await world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
      amount: 50,
      reason: "outage",
      settlement: "refund",
    });
    expect(note.status).toBe(201);
    const number = note.body.data.number as string;
    const row = await noteRow(invoice, number);
    expect(row.html).toBe(
      `<th scope="row">Credit note ${number} of $0.50: refund failed, kept as credit</th><td>$0.00</td>`,
    );
    expect(row.pdfSays("$0.50: refund failed, kept as credit")).toBe(true);
    expect(await consoleRow(invoice, number)).toEqual(["$0.50", "refund failed, kept as credit"]);
  });
});
