import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertCustomerRow } from "../../../test/helpers/service-test.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import {
  operatorContext,
  PortalClient,
  portalCustomer,
  type PortalCustomer,
} from "../../web/portal/testing/portal-fixtures.ts";
import { addStripeCurrencies } from "./testing/stripe-currencies.ts";
import { type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// Stripe's minimum charge (0.50 USD, ¥50, … docs.stripe.com/currencies) is checked before Stripe is asked:
// the API refuses a checkout below it naming the minimum in the currency's words, and the portal offers no
// card button for such an invoice but says how it is settled. Until 2026-12-06 Stripe was asked and its
// refusal came back as a 409 with Stripe's words. And the portal's button for a KWD amount Stripe cannot
// charge exactly says what the card is charged and that the difference becomes credit.

let world: StripeWorld;

beforeAll(async () => {
  world = await startStripeWorld();
  await addStripeCurrencies(world.db, "KWD");
});
afterAll(() => world?.close());

const sessionCalls = () => world.fake.requests.filter((r) => r.path === "/v1/checkout/sessions").length;

async function portalWithDue(email: string, currency: string, paid: bigint): Promise<PortalCustomer> {
  const customer = await portalCustomer(world.handle, {
    email,
    name: "Small",
    dueDate: "2099-01-01",
    currency,
  });
  if (paid > 0n)
    await recordPayment({
      ctx: operatorContext(world.handle),
      input: {
        invoice_id: customer.unpaidInvoiceId,
        amount: paid,
        method: "bank_transfer",
        reference: `BT-small-${customer.id}`,
      },
    });
  return customer;
}

describe("Stripe's minimum charge", () => {
  it("refuses a $0.49 checkout before asking Stripe, naming the minimum as USD writes it", async () => {
    const customerId = await insertCustomerRow(world.db, { currency: "USD" });
    const [invoice] = (await issueInvoices(world.db, [{ customerId, total: 49n, currency: "USD" }])) as [
      string,
    ];
    const asked = sessionCalls();
    const refused = await world.server.api("POST", `/api/v1/invoices/${invoice}/checkout`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.issues).toEqual([
      {
        field: "invoice_id",
        message: `invoice ${invoice} has $0.49 due, below the smallest card payment Stripe takes in USD ($0.50): no checkout is made; settle it by bank transfer (a payment recorded by staff) or from the customer's credit`,
      },
    ]);
    expect(sessionCalls()).toBe(asked);
    const rows = await world.db
      .selectFrom("checkout_session")
      .select("id")
      .where("invoice_id", "=", invoice)
      .execute();
    expect(rows).toEqual([]);

    // $0.50 is Stripe's minimum itself: taken.
    const [fifty] = (await issueInvoices(world.db, [{ customerId, total: 50n, currency: "USD" }])) as [
      string,
    ];
    const taken = await world.server.api("POST", `/api/v1/invoices/${fifty}/checkout`);
    expect(taken.status).toBe(201);
    expect(taken.body.data).toMatchObject({ amount: 50, amount_due: 50 });
  });

  it("shows no card button for $0.34 due in the portal, and says how it is settled instead", async () => {
    const small = await portalWithDue("small@example.com", "USD", 1200n);
    const client = new PortalClient(world.server.url);
    await client.logIn(small.email);
    const page = await client.request("GET", `/portal/invoices/${small.unpaidInvoiceId}`);
    expect(page.text).toContain('id="invoice-amount-due">$0.34<');
    expect(page.text).not.toContain("Pay now");
    expect(page.text).toContain(
      "Card payment is not offered for this invoice: $0.34 is below the smallest card payment the payment provider takes in USD, $0.50. Pay it by bank transfer with the invoice number as the reference; credit that comes to your account (an overpayment or a credit note) also pays it. Nothing carries it over to your next invoice: it stays due until it is paid.",
    );
    // A forged "Pay now" is refused without asking Stripe: back to the invoice with a notice.
    const asked = sessionCalls();
    const pay = await client.submit(
      `/portal/invoices/${small.invoiceId}`,
      `/portal/invoices/${small.unpaidInvoiceId}/pay`,
      {},
    );
    expect(pay).toMatchObject({
      status: 303,
      location: `/portal/invoices/${small.unpaidInvoiceId}?notice=not_payable`,
    });
    expect(sessionCalls()).toBe(asked);
  });
});

describe("the portal's card button for an amount Stripe rounds up", () => {
  it("says 1.234 KWD due is charged 1.240 KWD, the 0.006 KWD beyond it becoming credit", async () => {
    const kwd = await portalWithDue("kwd@example.com", "KWD", 0n);
    const client = new PortalClient(world.server.url);
    await client.logIn(kwd.email);
    const page = await client.request("GET", `/portal/invoices/${kwd.unpaidInvoiceId}`);
    expect(page.text).toContain('id="invoice-amount-due">1.234 KWD<');
    expect(page.text).toContain('<button type="submit">Pay now 1.240 KWD</button>');
    expect(page.text).toContain(
      "Your card is charged 1.240 KWD: the payment provider cannot charge 1.234 KWD exactly in KWD, so it is rounded up to the next amount it can charge, and the 0.006 KWD beyond it becomes credit on your account for your next invoices.",
    );
    const pay = await client.submit(
      `/portal/invoices/${kwd.unpaidInvoiceId}`,
      `/portal/invoices/${kwd.unpaidInvoiceId}/pay`,
      {},
    );
    const sessionId = pay.location!.split("/").at(-1)!;
    expect(world.fake.sessions.get(sessionId)).toMatchObject({ amount_total: 1240, currency: "kwd" });

    // An amount Stripe charges exactly keeps the plain button.
    const usd = await portalWithDue("exact@example.com", "USD", 0n);
    const other = new PortalClient(world.server.url);
    await other.logIn(usd.email);
    const plain = await other.request("GET", `/portal/invoices/${usd.unpaidInvoiceId}`);
    expect(plain.text).toContain('<button type="submit">Pay now</button>');
    expect(plain.text).not.toContain("becomes credit");
  });
});
