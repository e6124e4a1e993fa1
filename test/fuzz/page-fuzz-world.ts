import { issueInvoices } from "../../src/billing/payments/testing/invoice-fixtures.ts";
import { setPortalPassword } from "../../src/services/portal-accounts/portal-accounts.ts";
import { setStaffPassword } from "../../src/services/staff/staff-repairs.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { operatorContext } from "../../src/web/portal/testing/portal-fixtures.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";

// The page fuzz's world (page-fuzz.db.test.ts): tokenbill wired to the SolusIO emulator with its job runner
// on, as the OpenAPI fuzz has it, so sync, single sign-on and set-up pages reach SolusIO; an owner and a
// second staff user; two customers (one with a portal password) with invoices, a payment, a refund and a
// credit note; one of each pricing record. The pages link to these, and the fuzz finds them from the links.

export const STAFF_PASSWORD = "page fuzz staff password";
export const PORTAL_PASSWORD = "page fuzz portal password";
export const OWNER = "owner@fuzz.example";
export const CUSTOMER = "fuzz@example.com";
/** Small, so a body just over it is cheap; larger than a 10,001-character field spoilt into a valid form. */
export const BODY_LIMIT = 32 * 1024;

async function created(h: SolusioHarness, path: string, body: unknown): Promise<string> {
  const r = await h.server.api("POST", path, body);
  if (r.status !== 201) throw new Error(`fixture ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return String(r.body.data.id ?? r.body.data.code);
}

/**
 * Gives the fixture's owner and customer back their passwords (and the owner their access): a spoilt form
 * may be a valid one (a new password of 26 nines), and the fuzz goes on logged in as them.
 */
export async function restoreLogins(h: SolusioHarness): Promise<void> {
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
  await setStaffPassword({ ctx, input: { id: owner.id, password: STAFF_PASSWORD } });
}

export async function startPageFuzzWorld(): Promise<SolusioHarness> {
  const h = await startSolusioHarness({
    HTTP_BODY_LIMIT_BYTES: BODY_LIMIT,
    // The fuzz sends the login forms many wrong passwords; the limiter would lock the fixture out.
    LOGIN_FAILURES_PER_EMAIL: 1000,
    LOGIN_FAILURES_PER_IP: 100_000,
  });
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
  return h;
}
