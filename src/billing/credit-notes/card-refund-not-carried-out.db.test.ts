import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import { issueCreditNote } from "./issue-credit-note.ts";
import {
  askRefundNote,
  cardPaidBesideOpenInvoice as paidBesideOpen,
  cardRefundReads,
  noteRefundOf,
  refundIdOfNote,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// A credit note's card refund that Stripe did not carry out, for a reason that passes or that staff fix: a
// rate limit (429) or tokenbill's secret key refused (401). Stripe made nothing and kept nothing under the
// reservation's idempotency key, so the note's credit_note.refund job asks again later. Until 2026-12-07
// either answer was read as a refusal: the reservation failed, and its held credit paid the customer's open
// invoices, so a moment's rate limit turned the card refund into credit for good.

const file = stripeWorldPerFile();

const { dueOf, statement, jobOf: noteJobOf } = cardRefundReads(() => file.world);

const cardPaidBesideOpenInvoice = (email: string) => paidBesideOpen(file.world, email);

const stripeRefundsOf = (paymentIntent: string) =>
  [...file.world.fake.refunds.values()].filter((r) => r.payment_intent === paymentIntent);

describe("a credit note's card refund Stripe did not carry out", () => {
  it("stays pending through a rate limit (429), holding its credit, and the job's retry refunds it once", async () => {
    const { customerId, invoice, payment, open } = await cardPaidBesideOpenInvoice("limited-1@example.com");
    const asked = file.world.refundCalls();
    file.world.fake.refundsRefusedWith = 429;
    try {
      const note = await askRefundNote(file.world, invoice);
      expect(note.status).toBe(201);
      expect(await noteRefundOf(file.world, invoice)).toEqual({
        status: "pending",
        provider_refund_id: null,
      });
      expect(await dueOf(open)).toBe(100n);
      // The job's attempt meets the same rate limit: still pending, and the job waits for its next attempt.
      await runNoteRefundJobs(file.world);
      expect(await noteRefundOf(file.world, invoice)).toEqual({
        status: "pending",
        provider_refund_id: null,
      });
    } finally {
      file.world.fake.refundsRefusedWith = null;
    }
    expect(file.world.refundCalls()).toBe(asked + 2);
    expect(await dueOf(open)).toBe(100n);
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });

    await expectJobRefundsOnce(invoice, payment.reference, open);
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 100 });
  });

  it("waits at least the Retry-After of a rate limit when it is longer than the job's backoff", async () => {
    const { invoice } = await cardPaidBesideOpenInvoice("limited-2@example.com");
    file.world.fake.refundsRefusedWith = 429;
    file.world.fake.refundRetryAfter = "240";
    try {
      const note = await askRefundNote(file.world, invoice);
      expect(note.status).toBe(201);
      const id = await refundIdOfNote(file.world, note.body.data.id);
      const before = Date.now();
      await runNoteRefundJobs(file.world);
      const job = await noteJobOf(id);
      expect(job).toMatchObject({ status: "pending", attempts: 1 });
      // The first attempt's backoff is a minute; Stripe asked for four.
      expect(job.run_after.getTime()).toBeGreaterThanOrEqual(before + 240_000);
    } finally {
      file.world.fake.refundsRefusedWith = null;
      file.world.fake.refundRetryAfter = null;
    }
  });

  it("stays pending while Stripe refuses the secret key (401), says so in an error log, and is refunded once the key works", async () => {
    const { customerId, invoice, payment, open } = await cardPaidBesideOpenInvoice("key-refused@example.com");
    const logLines: Record<string, unknown>[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    file.world.fake.refundsRefusedWith = 401;
    try {
      await issueCreditNote({
        ctx: { ...file.world.context(), logger },
        input: { invoice_id: invoice, amount: 250n, reason: "outage", settlement: "refund" },
      });
      expect(await noteRefundOf(file.world, invoice)).toEqual({
        status: "pending",
        provider_refund_id: null,
      });
      const refused = logLines.filter((line) => line["level"] === 50);
      expect(refused.map((line) => line["msg"])).toEqual([
        expect.stringContaining("Stripe refused tokenbill's secret key"),
      ]);
      expect(refused[0]?.["msg"]).toContain("STRIPE_SECRET_KEY");
      // The job's attempt is refused too, and the job stays to try again (not failed for good).
      await runNoteRefundJobs(file.world);
      expect(await noteRefundOf(file.world, invoice)).toEqual({
        status: "pending",
        provider_refund_id: null,
      });
    } finally {
      file.world.fake.refundsRefusedWith = null;
    }
    expect(await dueOf(open)).toBe(100n);
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });

    // The operator fixed the key: the job's next attempt makes the refund.
    await expectJobRefundsOnce(invoice, payment.reference, open);
  });
});

describe("the note's own request that Stripe did not carry out", () => {
  it.each([
    { status: 429 as const, level: 40, says: "Stripe rate-limited the refund" },
    { status: 401 as const, level: 50, says: "Stripe refused tokenbill's secret key" },
  ])("logs one line for a $status, the one that names the reason", async ({ status, level, says }) => {
    const { invoice } = await cardPaidBesideOpenInvoice(`one-line-${status}@example.com`);
    const logLines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void logLines.push(JSON.parse(line)) },
    );
    file.world.fake.refundsRefusedWith = status;
    file.world.fake.refundRetryAfter = status === 429 ? "30" : null;
    try {
      await issueCreditNote({
        ctx: { ...file.world.context(), logger },
        input: { invoice_id: invoice, amount: 250n, reason: "outage", settlement: "refund" },
      });
    } finally {
      file.world.fake.refundsRefusedWith = null;
      file.world.fake.refundRetryAfter = null;
    }
    expect(await noteRefundOf(file.world, invoice)).toEqual({ status: "pending", provider_refund_id: null });
    // Until 2026-12-07 a second warning followed ("… was not completed …") for the same event.
    const refundLines = logLines.filter((line) => line["refund"] !== undefined);
    expect(refundLines.map((line) => [line["level"], line["msg"]])).toEqual([
      [level, expect.stringContaining(says)],
    ]);
    expect(refundLines[0]?.["msg"]).toContain("the reservation stays pending, holding its amount");
    if (status === 429) expect(refundLines[0]?.["retryAfterMs"]).toBe(30_000);
  });
});

/** The note's job asks Stripe again and makes the refund, once; its webhook settles it; the open invoice still owes. */
async function expectJobRefundsOnce(invoice: string, paymentRef: string, open: string) {
  await runNoteRefundJobs(file.world);
  const linked = await noteRefundOf(file.world, invoice);
  expect(linked.provider_refund_id).toMatch(/^re_/);
  expect(stripeRefundsOf(paymentRef)).toHaveLength(1);
  await file.world.deliver(file.world.fake.settleRefund(linked.provider_refund_id as string, "succeeded"));
  expect(await noteRefundOf(file.world, invoice)).toEqual({ ...linked, status: "succeeded" });
  expect(await dueOf(open)).toBe(100n);
}
