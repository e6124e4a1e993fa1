import { beforeAll, describe, expect, it } from "vitest";
import { createStaffPerRole, PageClient, textOf } from "../../web/console/pricing-test-client.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  cardRefundReads,
  noteWhoseProcessDied,
  refundIdOfPayment,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// A credit note's card refund that Stripe refuses outright when the note's job asks (a 4xx: the charge
// refunded already in the Dashboard, disputed, …): nothing was made, so the reservation is released (its
// amount the customer's credit, paying open invoices first) and no attempt can change that. Until 2026-12-07
// the job ended "done" with a warning in the log only, and staff never saw it among the failed jobs; now it
// fails for good at once, saying what Stripe said and what was done; a retry, which would ask for nothing, is
// refused (until 2026-12-07 it ended "done").

const file = stripeWorldPerFile();
beforeAll(async () => {
  await createStaffPerRole(file.world.handle, ["billing"]);
});

const { dueOf, statement, refundOf, jobOf } = cardRefundReads(() => file.world);

/** How often Stripe was asked to make this reservation's refund (its idempotency key). */
const askedFor = (refundId: string) =>
  file.world.fake.requests.filter(
    (r) => r.path === "/v1/refunds" && r.idempotencyKey === `tokenbill-${refundId}`,
  ).length;

describe("a credit note's card refund Stripe refuses when its job asks", () => {
  it("fails the job for good at once with Stripe's reason, the reservation released; a retry asks nothing", async () => {
    const { customerId, payment } = await noteWhoseProcessDied(file.world, "refused-1@example.com");
    const [open] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    const refundId = await refundIdOfPayment(file.world, payment.id);
    // The whole $10.00 was refunded by hand in Stripe's Dashboard (its webhook not come yet): Stripe refuses
    // the note's $2.50 as more than is left of the charge.
    file.world.fake.addRefund({
      id: "re_refused_whole",
      amount: 1000,
      payment_intent: payment.reference,
      status: "succeeded",
    });

    await runNoteRefundJobs(file.world);
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.last_error).toContain("Stripe refused to refund the payment");
    expect(job.last_error).toContain("greater than unrefunded amount");
    expect(job.last_error).toContain(`refund ${refundId} was not made`);
    expect(job.last_error).toContain("the customer's credit");
    expect(job.last_error).not.toMatch(/asking again|gave up after/);
    expect(askedFor(refundId)).toBe(1);
    // Released: its $2.50 is the customer's credit, which paid the $1.00 invoice; nothing is held.
    expect(await refundOf(refundId)).toEqual({ status: "failed", provider_refund_id: null });
    expect(await dueOf(open)).toBe(0n);
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0 });

    // Staff see it among the failed jobs, saying why.
    const listed = await file.world.server.api("GET", "/api/v1/jobs/failed");
    expect(listed.body.data).toContainEqual(
      expect.objectContaining({ id: Number(job.id), kind: "credit_note.refund", last_error: job.last_error }),
    );
    const billing = await new PageClient(file.world.server.url).logIn("billing@example.com");
    const page = textOf((await billing.get("/console/jobs")).text);
    expect(page).toContain(`credit_note.refund credit_note.refund:${refundId} 1`);
    expect(page).toContain("greater than unrefunded amount on charge");

    // A retry would ask for nothing: it is refused, saying why and what to do instead, and the job stays
    // failed (until 2026-12-07 it was queued and ended "done", for a retry that did nothing).
    const retried = await file.world.server.api("POST", `/api/v1/jobs/${job.id}/retry`);
    expect(retried.status).toBe(409);
    expect(retried.body.error.message).toContain(
      `refund ${refundId} is failed with no payment provider refund`,
    );
    expect(retried.body.error.message).toContain(
      `refund the payment anew (POST /api/v1/payments/${payment.id}/refunds)`,
    );
    await runNoteRefundJobs(file.world);
    expect(await jobOf(refundId)).toMatchObject({ status: "failed", attempts: 1 });
    expect(askedFor(refundId)).toBe(1);
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0 });
  });
});
