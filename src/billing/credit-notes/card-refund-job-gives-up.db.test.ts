import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { insertCustomerRow } from "../../../test/helpers/service-test.ts";
import { addStripeCurrencies } from "../providers/testing/stripe-currencies.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  cardRefundReads,
  refundIdOfNote,
  reservationNobodyAsked,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// What a credit note's `credit_note.refund` job says when it stops asking Stripe, whether for now or for good:
// a look-up Stripe rate-limited (429), a reservation no attempt can ever make (an amount Stripe cannot refund),
// and the last attempt of each reason the job retries. The job's last error is what staff read in the failed
// jobs once the attempts are spent, so it says what holds then and what staff can do, never "asking again"
// (until 2026-12-07 an unanswered ask and an unconfigured provider still said so on the last attempt).

const ATTEMPTS = 12; // the kind's maxAttempts (src/app/job-catalog.ts)

const file = stripeWorldPerFile();
beforeAll(async () => {
  await addStripeCurrencies(file.world.db, "KWD");
});
afterEach(() => {
  if (!file.world) return;
  file.world.fake.lookupsRefusedWith = null;
  file.world.fake.refundRetryAfter = null;
  file.world.fake.refundAnswersLost = false;
  file.world.fake.allRequestsFailWith = null;
});

const { statement, refundOf, jobOf } = cardRefundReads(() => file.world);

/** Makes the job's next run its last attempt, as if the earlier ones had all failed. */
const lastAttemptOf = (refundId: string) =>
  file.world.db
    .updateTable("job")
    .set({ attempts: ATTEMPTS - 1 })
    .where("slot", "=", `credit_note.refund:${refundId}`)
    .execute();

const refundPostsFor = (refundId: string) =>
  file.world.fake.requests.filter(
    (r) => r.method === "POST" && r.path === "/v1/refunds" && r.idempotencyKey === `tokenbill-${refundId}`,
  ).length;

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe("a credit note's card refund job whose look-up Stripe rate-limits (429)", () => {
  it("asks for nothing, waits at least Stripe's Retry-After, and once out of attempts says what holds", async () => {
    const { customerId, payment, refundId } = await reservationNobodyAsked(
      file.world,
      "lookup-429@example.com",
    );
    file.world.fake.lookupsRefusedWith = 429;
    file.world.fake.refundRetryAfter = "300";
    const { lines, logger } = recordingLogger();
    const before = Date.now();
    await runNoteRefundJobs(file.world, logger);

    // Nothing asked, nothing spent: the reservation still holds the note's credit.
    expect(refundPostsFor(refundId)).toBe(0);
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "pending", attempts: 1 });
    // The first attempt's backoff is a minute; Stripe asked for five.
    expect(job.run_after.getTime()).toBeGreaterThanOrEqual(before + 300_000);
    expect(job.last_error).toContain("rate-limited");
    expect(job.last_error).toContain(
      `tokenbill could not look whether Stripe has a refund for refund ${refundId}`,
    );
    const warned = lines.filter((l) => l["refund"] === refundId && l["level"] === 40);
    expect(warned.map((l) => l["msg"])).toEqual([
      expect.stringContaining("Stripe rate-limited the look-up of the refund"),
    ]);
    expect(warned[0]?.["retryAfterMs"]).toBe(300_000);

    // The last attempt meets the same rate limit: the job gives up, saying what holds and what staff can do.
    await lastAttemptOf(refundId);
    await runNoteRefundJobs(file.world);
    const failed = await jobOf(refundId);
    expect(failed).toMatchObject({ status: "failed", attempts: ATTEMPTS });
    expect(failed.last_error).toContain(`(gave up after ${ATTEMPTS} attempts)`);
    expect(failed.last_error).toContain("holding its amount");
    expect(failed.last_error).toContain(`POST /api/v1/refunds/${refundId}/release`);
    expect(failed.last_error).not.toMatch(/asking again|asks again/);
    expect(refundPostsFor(refundId)).toBe(0);
    expect(payment.reference).toMatch(/^pi_/);
  });
});

describe("the last attempt of a job that retries", () => {
  it("Stripe did not answer the ask: the job gives up saying the reservation holds its amount, not 'asking again'", async () => {
    const { refundId } = await reservationNobodyAsked(file.world, "last-unanswered@example.com");
    file.world.fake.refundAnswersLost = true;
    await lastAttemptOf(refundId);
    await runNoteRefundJobs(file.world);
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: ATTEMPTS });
    expect(job.last_error).toContain(`(gave up after ${ATTEMPTS} attempts)`);
    expect(job.last_error).toContain("holding its amount");
    expect(job.last_error).toContain(`POST /api/v1/refunds/${refundId}/release`);
    expect(job.last_error).not.toMatch(/asking again|asks again/);
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
  });

  it("Stripe did not answer the look-up (503): the job gives up saying what holds", async () => {
    const { refundId } = await reservationNobodyAsked(file.world, "last-lookup-5xx@example.com");
    file.world.fake.allRequestsFailWith = 503;
    await lastAttemptOf(refundId);
    await runNoteRefundJobs(file.world);
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: ATTEMPTS });
    expect(job.last_error).toContain("could not look up the refund");
    expect(job.last_error).toContain("holding its amount");
    expect(job.last_error).toContain(`POST /api/v1/refunds/${refundId}/release`);
    expect(refundPostsFor(refundId)).toBe(0);
  });

  it("Stripe is no longer configured: the job gives up saying what holds and what to set, not 'asking again later'", async () => {
    const { refundId } = await reservationNobodyAsked(file.world, "last-unconfigured@example.com");
    await lastAttemptOf(refundId);
    await file.world.db
      .updateTable("job")
      .set({ run_after: new Date() })
      .where("slot", "=", `credit_note.refund:${refundId}`)
      .execute();
    // The payment's method names a provider tokenbill has no key for.
    await file.world.db
      .updateTable("payment")
      .set({ method: "paypal" })
      .where("id", "=", (await paymentOfRefund(refundId)).payment_id)
      .execute();
    await runNoteRefundJobs(file.world);
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: ATTEMPTS });
    expect(job.last_error).toContain("not configured");
    expect(job.last_error).toContain("holding its amount");
    expect(job.last_error).not.toMatch(/asking again|asks again/);
  });
});

const paymentOfRefund = (refundId: string) =>
  file.world.db
    .selectFrom("refund")
    .select("payment_id")
    .where("id", "=", refundId)
    .executeTakeFirstOrThrow();

describe("a reservation Stripe can never refund (0.005 KWD: Stripe refunds KWD in multiples of 0.010)", () => {
  it("is not retried: the first attempt gives up for good, says why, and the share is credit", async () => {
    const customerId = await insertCustomerRow(file.world.db, { currency: "KWD" });
    const [invoice] = (await issueInvoices(file.world.db, [
      { customerId, total: 1580n, currency: "KWD" },
    ])) as [string];
    const payment = await file.world.payByCard(invoice);
    // Stripe does not answer the note's own ask, so the reservation is left to the job.
    file.world.fake.refundsFailWith = 503;
    let noteId: string;
    try {
      const note = await file.world.post(`/api/v1/invoices/${invoice}/credit-notes`, {
        amount: 1010,
        reason: "outage",
        settlement: "refund",
      });
      expect(note.status).toBe(201);
      noteId = note.body.data.id as string;
    } finally {
      file.world.fake.refundsFailWith = null;
    }
    const refundId = await refundIdOfNote(file.world, noteId);
    // A reservation of an amount Stripe cannot refund, as one reserved before shares were rounded down
    // (until 2026-12-06) is.
    await file.world.db.updateTable("refund").set({ amount: 1005n }).where("id", "=", refundId).execute();
    const asked = refundPostsFor(refundId);

    await runNoteRefundJobs(file.world);
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.last_error).toContain("Stripe refunds KWD only in multiples of 10");
    expect(job.last_error).toContain("the customer's credit");
    expect(job.last_error).not.toMatch(/asking again|asks again|gave up after/);
    expect(refundPostsFor(refundId)).toBe(asked);
    expect(await refundOf(refundId)).toEqual({ status: "failed", provider_refund_id: null });
    expect(payment.method).toBe("stripe");
  });
});
