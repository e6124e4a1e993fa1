import { createHash } from "node:crypto";
import { runnableKinds } from "../../src/app/job-catalog.ts";
import { recordRefundIn } from "../../src/billing/payments/refund-payment.ts";
import { issueInvoices } from "../../src/billing/payments/testing/invoice-fixtures.ts";
import { storedFailingSession } from "../../src/billing/providers/testing/failing-events.ts";
import {
  type FakeStripeAccount,
  startFakeStripeAccount,
} from "../../src/billing/providers/testing/stripe-world.ts";
import { JobRunner } from "../../src/jobs/job-runner.ts";
import { actors } from "../../src/kernel/actor.ts";
import { withTransaction } from "../../src/kernel/transaction.ts";
import { setPortalPassword } from "../../src/services/portal-accounts/portal-accounts.ts";
import { PORTAL_LINK_EMAIL_JOB } from "../../src/services/portal-accounts/portal-link-mail.ts";
import type { PortalMessage } from "../../src/services/portal-accounts/portal-mail.ts";
import type { PortalTokenPurpose } from "../../src/services/portal-accounts/portal-tokens.ts";
import { beginTotpEnrolment, confirmTotpEnrolment } from "../../src/services/staff/staff-login.ts";
import { setStaffPassword } from "../../src/services/staff/staff-repairs.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { totpCodeAt } from "../../src/services/staff/totp.ts";
import { operatorContext } from "../../src/web/portal/testing/portal-fixtures.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";

// The page fuzz's world (page-fuzz.db.test.ts): tokenbill wired to the SolusIO emulator with its job runner
// on, as the OpenAPI fuzz has it, so sync, single sign-on and set-up pages reach SolusIO, and to the fake
// Stripe, so the portal draws "Pay now" and card refunds reach a provider; an owner, a second staff user and
// one with two-factor login on; two customers (one with a portal password) with invoices, a payment, a
// refund, a credit note and two card payments whose refunds' reservations await release; one of each pricing
// record. The pages link to these, and the fuzz finds them from the links. The portal's link e-mails, which
// the harness's runner leaves queued (it has no mailer), are sent when the fuzz asks for one, into a list.

export const STAFF_PASSWORD = "page fuzz staff password";
export const PORTAL_PASSWORD = "page fuzz portal password";
export const OWNER = "owner@fuzz.example";
export const CUSTOMER = "fuzz@example.com";
/** A staff user with two-factor login on: the fuzz logs in as them to reach the code form. */
export const TWO_FACTOR = "twofactor@fuzz.example";
/** Small, so a body just over it is cheap; larger than a 10,001-character field spoilt into a valid form. */
export const BODY_LIMIT = 32 * 1024;

async function created(h: SolusioHarness, path: string, body: unknown): Promise<string> {
  const r = await h.server.api("POST", path, body);
  if (r.status !== 201) throw new Error(`fixture ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return String(r.body.data.id ?? r.body.data.code);
}

export interface PageFuzzWorld extends SolusioHarness {
  stripe: FakeStripeAccount;
  /** The two-factor user's TOTP secret: it may appear in no answer. */
  totpSecret: string;
  /** Runs the queued `portal.link_email` jobs only, as serve's runner would, when drained. */
  linkMailer: JobRunner;
  /** What those jobs sent, in order. */
  mail: PortalMessage[];
}

const OPEN_PATH: Record<PortalTokenPurpose, string> = {
  magic_link: "/portal/login/link/open",
  password_reset: "/portal/password-reset/new",
};

/**
 * Sends the queued link e-mails, then returns the address (path and query) of the last link of `purpose`
 * mailed to the customer: a newer token of a purpose retires the older ones, so the last is the live one.
 */
export async function mailedLink(h: PageFuzzWorld, purpose: PortalTokenPurpose): Promise<string> {
  await h.linkMailer.drain();
  const open = OPEN_PATH[purpose];
  for (const message of [...h.mail].reverse()) {
    const link = new RegExp(`https?://[^/\\s]+(${open}\\?token=\\S+)`).exec(message.text)?.[1];
    if (message.to === CUSTOMER && link) return link;
  }
  throw new Error(`no ${purpose} link was mailed to ${CUSTOMER}`);
}

/** Whether a mailed token is unspent, unretired and unexpired. */
export async function tokenLive(h: PageFuzzWorld, token: string): Promise<boolean> {
  const row = await h.db
    .selectFrom("portal_token")
    .select("token_hash")
    .where("token_hash", "=", createHash("sha256").update(token).digest("hex"))
    .where("used_at", "is", null)
    .where("expires_at", ">", new Date())
    .executeTakeFirst();
  return row !== undefined;
}

/** The customer's portal password hash: a refused reset leaves it as it was. */
export async function portalPasswordHash(h: PageFuzzWorld): Promise<string | null> {
  const row = await h.db
    .selectFrom("portal_account")
    .innerJoin("customer", "customer.id", "portal_account.customer_id")
    .select("portal_account.password_hash")
    .where("customer.email", "=", CUSTOMER)
    .executeTakeFirstOrThrow();
  return row.password_hash;
}

/** The owner's two-factor state: a secret waiting for its confirmation, and whether it is on. */
export async function ownerTotp(h: PageFuzzWorld): Promise<{ secret: string | null; on: boolean }> {
  const row = await h.db
    .selectFrom("staff_user")
    .select(["totp_secret", "totp_enabled_at"])
    .where("email", "=", OWNER)
    .executeTakeFirstOrThrow();
  return { secret: row.totp_secret, on: row.totp_enabled_at !== null };
}

/** Turns the owner's two-factor login off: a confirmed enrolment (a valid sending) would ask them for codes. */
export async function ownerTotpOff(h: PageFuzzWorld): Promise<void> {
  await h.db
    .updateTable("staff_user")
    .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
    .where("email", "=", OWNER)
    .execute();
}

/**
 * The code the two-factor user's app shows now. A code passes once (totp.ts refuses a step at or before the
 * last one used), and the fuzz sends the right code again after each login, so the last step is forgotten.
 */
export async function twoFactorCode(h: PageFuzzWorld): Promise<string> {
  await h.db
    .updateTable("staff_user")
    .set({ totp_last_step: null })
    .where("email", "=", TWO_FACTOR)
    .execute();
  return totpCodeAt(h.totpSecret, new Date());
}

/**
 * Gives the fixture's owner and customer back their passwords (and the owner their access and a login without
 * a second factor), and the two-factor user their password, access and second factor: a spoilt form may be a
 * valid one (a new password of 26 nines, a staff user's two-factor reset, the owner's enrolment confirmed), and
 * the fuzz goes on logged in as them.
 */
export async function restoreLogins(h: PageFuzzWorld): Promise<void> {
  const ctx = operatorContext(h.handle);
  const customer = await h.db
    .selectFrom("customer")
    .select("id")
    .where("email", "=", CUSTOMER)
    .executeTakeFirstOrThrow();
  await setPortalPassword({ ctx, input: { customer_id: customer.id, password: PORTAL_PASSWORD } });
  const owner = await h.db
    .selectFrom("staff_user")
    .select("id")
    .where("email", "=", OWNER)
    .executeTakeFirstOrThrow();
  await h.db
    .updateTable("staff_user")
    .set({ disabled_at: null, role: "owner" })
    .where("id", "=", owner.id)
    .execute();
  await ownerTotpOff(h);
  await setStaffPassword({ ctx, input: { id: owner.id, password: STAFF_PASSWORD } });
  const second = await h.db
    .updateTable("staff_user")
    .set({ disabled_at: null, totp_secret: h.totpSecret, totp_enabled_at: new Date(), totp_last_step: null })
    .where("email", "=", TWO_FACTOR)
    .returning("id")
    .executeTakeFirstOrThrow();
  await setStaffPassword({ ctx, input: { id: second.id, password: STAFF_PASSWORD } });
}

export async function startPageFuzzWorld(): Promise<PageFuzzWorld> {
  const stripe = await startFakeStripeAccount();
  let harness: SolusioHarness;
  try {
    harness = await startSolusioHarness({
      HTTP_BODY_LIMIT_BYTES: BODY_LIMIT,
      // The fuzz sends the login forms many wrong passwords; the limiter would lock the fixture out.
      LOGIN_FAILURES_PER_EMAIL: 1000,
      LOGIN_FAILURES_PER_IP: 100_000,
      ...stripe.settings,
    });
  } catch (error) {
    await stripe.close();
    throw error;
  }
  const mail: PortalMessage[] = [];
  const ctx = { ...operatorContext(harness.handle), actor: actors.system("jobs") };
  const portalMailer = { send: async (m: PortalMessage) => void mail.push(m) };
  const linkMailer = new JobRunner({
    db: harness.db,
    logger: ctx.logger,
    handlers: {
      [PORTAL_LINK_EMAIL_JOB]: runnableKinds(ctx, "outbox", { portalMailer })[PORTAL_LINK_EMAIL_JOB]!,
    },
  });
  const h: PageFuzzWorld = {
    ...harness,
    stripe,
    totpSecret: "",
    linkMailer,
    mail,
    close: async () => {
      await linkMailer.stop();
      await harness.close();
      await stripe.close();
    },
  };
  try {
    await populate(h);
  } catch (error) {
    await h.close();
    throw error;
  }
  return h;
}

async function populate(h: PageFuzzWorld): Promise<void> {
  h.runner.start();
  const ctx = operatorContext(h.handle);
  await createStaffUser({
    ctx,
    input: { email: OWNER, name: "Fuzz Owner", role: "owner", password: STAFF_PASSWORD },
  });
  await createStaffUser({
    ctx,
    input: { email: "billing@fuzz.example", name: "Fuzz Billing", role: "billing", password: STAFF_PASSWORD },
  });
  const group = await created(h, "/api/v1/client-groups", { name: "fuzz group" });
  await created(h, "/api/v1/tax-rules", {
    name: "fuzz VAT",
    country: "DE",
    rates: [{ label: "VAT", rate: "19" }],
  });
  const customer = await created(h, "/api/v1/customers", { email: CUSTOMER, country: "GB", currency: "USD" });
  const other = await created(h, "/api/v1/customers", {
    email: "fuzz2@example.com",
    name: "Zweite Kundin",
    country: "DE",
    currency: "EUR",
  });
  await created(h, "/api/v1/discounts", { name: "fuzz", multiplier: "0.95", client_group_id: Number(group) });
  await created(h, "/api/v1/plan-prices", {
    plan_name: "fuzz plan",
    tokens_per_hour: 10,
    tokens_per_month: 7000,
  });
  await setPortalPassword({ ctx, input: { customer_id: BigInt(customer), password: PORTAL_PASSWORD } });
  const invoices = await issueInvoices(h.db, [
    { customerId: BigInt(customer), total: 100_000n },
    { customerId: BigInt(customer), total: 5_000n },
    { customerId: BigInt(other), total: 7_000n, currency: "EUR" },
  ]);
  const payment = await created(h, `/api/v1/invoices/${invoices[0]}/payments`, {
    amount: 50_000,
    reference: "FUZZ-1",
  });
  await created(h, `/api/v1/payments/${payment}/refunds`, { amount: 100, reason: "fuzz" });
  await created(h, `/api/v1/invoices/${invoices[0]}/credit-notes`, { amount: 100, reason: "fuzz" });
  await created(h, "/api/v1/api-keys", { name: "fuzz key" });
  // A voided invoice draws the reissue form; the EUR one, so the USD customer's portal keeps its invoices.
  const voided = await h.server.api("POST", `/api/v1/invoices/${invoices[2]}/void`, { reason: "fuzz" });
  if (voided.status !== 200) throw new Error(`fixture void: ${voided.status} ${JSON.stringify(voided.body)}`);
  await waitForJobs(h.db);
  // A disabled staff user with two-factor on draws the enable and two-factor reset forms; a job that failed
  // for good draws the retry form. Written directly: no verb makes either state at once.
  await createStaffUser({
    ctx,
    input: { email: "support@fuzz.example", name: "Fuzz Support", role: "support", password: STAFF_PASSWORD },
  });
  await h.db
    .updateTable("staff_user")
    .set({ disabled_at: new Date(), totp_secret: "JBSWY3DPEHPK3PXP", totp_enabled_at: new Date() })
    .where("email", "=", "support@fuzz.example")
    .execute();
  await h.db
    .insertInto("job")
    .values({ kind: "fuzz.gone", payload: "{}", status: "failed", attempts: 5, last_error: "fuzz" })
    .execute();
  await cardRefundsAwaitingRelease(h, BigInt(customer));
  // A payment provider event stored failing draws the failing events' Retry form.
  await storedFailingSession(h.stripe, h.server, "cs_fuzz_failing");
  const twoFactor = await createStaffUser({
    ctx,
    input: { email: TWO_FACTOR, name: "Fuzz Two-Factor", role: "billing", password: STAFF_PASSWORD },
  });
  const asTwoFactor = { ...ctx, actor: actors.staff(twoFactor.id) };
  h.totpSecret = (await beginTotpEnrolment({ ctx: asTwoFactor, input: {} })).secret;
  const code = await totpCodeAt(h.totpSecret, new Date());
  await confirmTotpEnrolment({ ctx: asTwoFactor, input: { code } });
}

/**
 * Two invoices of `customer` paid by card through Checkout and Stripe's signed webhook, each with a refund
 * reserved an hour ago whose call to Stripe never ran, so that the invoice's page and the customer's each
 * offer one to release: the invoices' list shows the later month first and the customer's page the later
 * payment first, so the later month is paid first.
 */
async function cardRefundsAwaitingRelease(h: PageFuzzWorld, customer: bigint): Promise<void> {
  const [earlier, later] = (await issueInvoices(h.db, [
    { customerId: customer, total: 20_000n },
    { customerId: customer, total: 30_000n },
  ])) as [string, string];
  for (const invoice of [later, earlier]) await reservedCardRefund(h, invoice);
}

async function reservedCardRefund(h: PageFuzzWorld, invoice: string): Promise<void> {
  const checkout = await h.server.api("POST", `/api/v1/invoices/${invoice}/checkout`);
  if (checkout.status !== 201 && checkout.status !== 200)
    throw new Error(`fixture checkout: ${checkout.status} ${JSON.stringify(checkout.body)}`);
  const paid = await h.stripe.deliverTo(h.server, h.stripe.fake.completeSession(checkout.body.data.id));
  if (paid.status !== 200)
    throw new Error(`fixture card payment: ${paid.status} ${JSON.stringify(paid.body)}`);
  const payment = await h.db
    .selectFrom("payment")
    .select("id")
    .where("invoice_id", "=", invoice)
    .executeTakeFirstOrThrow();
  const anHourAgo = operatorContext(h.handle, new Date(Date.now() - 3_600_000));
  await withTransaction(anHourAgo, (tx) =>
    recordRefundIn(tx.db, tx, { payment_id: payment.id, amount: 1_000n, status: "pending" }),
  );
}
