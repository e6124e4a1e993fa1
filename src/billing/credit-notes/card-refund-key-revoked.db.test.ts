import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { testClock } from "../../../test/helpers/test-clock.ts";
import { createStaffPerRole, PageClient, textOf } from "../../web/console/pricing-test-client.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  askRefundNote,
  cardPaidBesideOpenInvoice,
  cardRefundReads,
  refundIdOfNote,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// A credit note's card refund while Stripe refuses tokenbill's secret key for longer than the note's
// credit_note.refund job keeps asking (a key revoked in the Dashboard, 12 attempts over about 10 hours). The
// job fails for good; the reservation stays pending, holding the note's credit (neither the card nor the open
// invoices get it, and nothing is paid twice), until staff fix the key and then retry the job (the card is
// refunded once) or release the reservation (Stripe has no refund: the credit is the customer's again).

const HOUR = 3_600_000;
const ATTEMPTS = 12; // the kind's maxAttempts (src/app/job-catalog.ts)

const clock = testClock();
const file = stripeWorldPerFile({ now: clock.now });
beforeAll(async () => {
  await createStaffPerRole(file.world.handle, ["billing"]);
});
afterEach(() => {
  clock.release();
  if (file.world) file.world.fake.keyRevoked = false;
});

const { dueOf, statement, refundOf, jobOf } = cardRefundReads(() => file.world);

/** How often Stripe was asked to make this reservation's refund (its idempotency key). */
const refundCallsFor = (refundId: string) =>
  file.world.fake.requests.filter(
    (r) => r.path === "/v1/refunds" && r.idempotencyKey === `tokenbill-${refundId}`,
  ).length;

/** How often the job looked in Stripe for a refund already made for the payment (before it asks). */
const lookupsOf = (paymentIntent: string) =>
  file.world.fake.requests.filter(
    (r) => r.method === "GET" && r.path === "/v1/refunds" && r.form["payment_intent"] === paymentIntent,
  ).length;

const stripeRefundsOf = (paymentIntent: string) =>
  [...file.world.fake.refunds.values()].filter((r) => r.payment_intent === paymentIntent);

/**
 * A $10.00 invoice paid by card and a $1.00 one open; then Stripe revokes the key, a $2.50 note is issued as a
 * refund, and its job runs until it has no attempts left.
 */
async function noteOutlastedByRevokedKey(email: string) {
  const errorLines: string[] = [];
  const logger = pino(
    { level: "error" },
    { write: (line: string) => void errorLines.push(JSON.parse(line).msg) },
  );
  const { customerId, invoice, payment, open } = await cardPaidBesideOpenInvoice(file.world, email);
  file.world.fake.keyRevoked = true;
  const note = await askRefundNote(file.world, invoice);
  expect(note.status).toBe(201);
  const refundId = await refundIdOfNote(file.world, note.body.data.id);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    expect(await jobOf(refundId)).toMatchObject({ status: "pending", attempts: attempt - 1 });
    await runNoteRefundJobs(file.world, logger);
  }
  // One more round finds nothing to run: the job is failed for good, and Stripe is asked no more.
  await runNoteRefundJobs(file.world);
  // The note's request asked once; each attempt met the refused key at its look-up, before asking (until
  // 2026-12-07 an attempt asked at once: 1 + ATTEMPTS refund requests).
  expect(refundCallsFor(refundId)).toBe(1);
  expect(lookupsOf(payment.reference)).toBe(ATTEMPTS);
  return { customerId, invoice, payment, open, refundId, errorLines };
}

describe("a credit note's card refund under a revoked Stripe key that outlasts its job", () => {
  it("keeps the reservation pending, lists the job as failed naming the key, and a retry after the fix refunds once", async () => {
    const { customerId, payment, open, refundId, errorLines } =
      await noteOutlastedByRevokedKey("revoked-1@example.com");
    // Each attempt's error line names the key and says what is known: the look-up was refused, nothing asked.
    expect(errorLines).toHaveLength(ATTEMPTS);
    for (const line of errorLines) {
      expect(line).toContain("STRIPE_SECRET_KEY");
      expect(line).toContain(
        "could not look whether it has a refund for the reservation, and asked for none",
      );
      expect(line).not.toContain("no refund was made");
    }

    // The money: neither refunded nor spent. The note's credit is held by the pending reservation.
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
    expect(stripeRefundsOf(payment.reference)).toEqual([]);
    expect(await dueOf(open)).toBe(100n);
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });

    // The job failed for good, and says why: the key, not "asking again".
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: ATTEMPTS });
    expect(job.last_error).toContain("STRIPE_SECRET_KEY");
    expect(job.last_error).toContain(`(gave up after ${ATTEMPTS} attempts)`);
    expect(job.last_error).not.toContain("asking again");
    // Every attempt met the key at its look-up: what is known is that nothing was asked, not what Stripe has
    // (until 2026-12-07 it said "no refund was made", true only of that attempt).
    expect(job.last_error).toContain(
      `tokenbill could not look whether Stripe has a refund for refund ${refundId}, and asked for none`,
    );
    expect(job.last_error).not.toContain("no refund was made");
    const failed = await file.world.server.api("GET", "/api/v1/jobs/failed");
    expect(failed.status).toBe(200);
    expect(failed.body.data).toContainEqual(
      expect.objectContaining({
        id: Number(job.id),
        kind: "credit_note.refund",
        subject: `credit_note.refund:${refundId}`,
        attempts: ATTEMPTS,
        last_error: job.last_error,
      }),
    );

    const billing = await new PageClient(file.world.server.url).logIn("billing@example.com");
    const listed = textOf((await billing.get("/console/jobs")).text);
    expect(listed).toContain(`credit_note.refund credit_note.refund:${refundId} ${ATTEMPTS}`);
    expect(listed).toContain("Stripe refused tokenbill's secret key (STRIPE_SECRET_KEY)");

    // A release while the key is still refused cannot ask Stripe: 503 naming the key, nothing changed.
    clock.pin(new Date(Date.now() + HOUR));
    try {
      const refused = await file.world.post(`/api/v1/refunds/${refundId}/release`, {});
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toContain("STRIPE_SECRET_KEY");
    } finally {
      clock.release();
    }
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });

    // The operator fixed the key; staff retry the job: the card is refunded, once.
    file.world.fake.keyRevoked = false;
    expect((await file.world.server.api("POST", `/api/v1/jobs/${job.id}/retry`)).status).toBe(204);
    await runNoteRefundJobs(file.world);
    expect(await jobOf(refundId)).toMatchObject({ status: "done" });
    const linked = await refundOf(refundId);
    expect(linked.provider_refund_id).toMatch(/^re_/);
    expect(stripeRefundsOf(payment.reference)).toHaveLength(1);
    await file.world.deliver(file.world.fake.settleRefund(linked.provider_refund_id as string, "succeeded"));
    expect(await refundOf(refundId)).toEqual({ ...linked, status: "succeeded" });
    expect(await dueOf(open)).toBe(100n);
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 100 });
  });

  it("or, once the key works, staff release it in the console: its credit pays the open invoice, and a retried job refunds nothing", async () => {
    const { customerId, invoice, payment, open, refundId } =
      await noteOutlastedByRevokedKey("revoked-2@example.com");
    file.world.fake.keyRevoked = false;

    // An hour later (a reservation is released only when its call cannot still be running).
    clock.pin(new Date(Date.now() + HOUR));
    try {
      const billing = await new PageClient(file.world.server.url).logIn("billing@example.com");
      const page = `/console/invoices/${invoice}`;
      const confirmAt = `${page}/refund-release?payment=${payment.id}&refund=${refundId}`;
      expect(textOf((await billing.get(page)).text)).toContain("Release pending refund $2.50");
      const done = await billing.submit(confirmAt, `${page}/refund-release`, {
        payment_id: payment.id,
        refund_id: refundId,
      });
      expect(done).toMatchObject({ status: 303, location: `${page}?notice=refund_released` });
    } finally {
      clock.release();
    }
    expect(await refundOf(refundId)).toEqual({ status: "failed", provider_refund_id: null });
    expect(await dueOf(open)).toBe(0n);
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0 });

    // Retrying the failed job now would ask for nothing, the reservation released: refused (until 2026-12-07
    // it ended "done"); Stripe is not asked, nothing is doubled.
    const job = await jobOf(refundId);
    expect((await file.world.server.api("POST", `/api/v1/jobs/${job.id}/retry`)).status).toBe(409);
    await runNoteRefundJobs(file.world);
    expect(await jobOf(refundId)).toMatchObject({ status: "failed" });
    expect(refundCallsFor(refundId)).toBe(1);
    expect(lookupsOf(payment.reference)).toBe(ATTEMPTS + 1); // the job's, and the release's
    expect(stripeRefundsOf(payment.reference)).toEqual([]);
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0 });
  });
});
