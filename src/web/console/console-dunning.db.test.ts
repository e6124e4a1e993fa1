import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SolusioHarness,
  startSolusioHarness,
  waitForJobs,
} from "../../../test/helpers/solusio-harness.ts";
import { hiddenOf } from "../../../test/helpers/page-client.ts";
import { systemContext } from "../../app/database.ts";
import { issueInvoice } from "../../billing/dunning/dunning-fixtures.ts";
import { addDays, calendarDate } from "../../billing/runs/calendar-date.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { ConsoleClient, textOf } from "./customer-test-client.ts";

// Dunning in the console (billing-rules §8): exempting a customer and extending an invoice's due date through
// the pages, judged by what a dunning run through the admin API then does to the customer's SolusIO user in
// the emulator; the verbs' refusals beside the fields; the forms' one-time keys; the read-only role refused.

const PASSWORD = "console dunning password";
let h: SolusioHarness;
let ctx: ServiceContext;
let billing: ConsoleClient;
let support: ConsoleClient;

beforeAll(async () => {
  h = await startSolusioHarness({});
  h.runner.start();
  ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
  for (const role of ["billing", "support"] as const)
    await createStaffUser({ ctx, input: { email: `${role}@example.com`, role, password: PASSWORD } });
  billing = await ConsoleClient.logIn(h.server.url, "billing@example.com", PASSWORD);
  support = await ConsoleClient.logIn(h.server.url, "support@example.com", PASSWORD);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Thirty days ago: an invoice due then is far into the ladder (locked at +7, suspended at +14). */
const due = addDays(calendarDate(new Date(), "UTC"), -30);
const dayAt = (offset: number) => `${addDays(due, offset)}T00:00:00Z`;

async function solusioStatus(customerId: number): Promise<string> {
  const users = (await h.emu("GET", "/api/v1/users?per_page=100")).body.data as any[];
  return users.find((u) => u.billing_user_id === customerId).status;
}

/** A customer made through the API and synced to SolusIO, with an invoice due thirty days ago. */
async function overdueCustomer(email: string) {
  const made = await h.server.api("POST", "/api/v1/customers", { email, country: "US", currency: "USD" });
  const id = made.body.data.id as number;
  await waitForJobs(h.db);
  const invoice = await issueInvoice(h.db, { customerId: BigInt(id), total: 4_200n, dueDate: due });
  return { id, invoice };
}

/** Runs the ladder through the admin API (as of `offset` days after the old due date); this customer's steps. */
async function stepsOf(customerId: number, offset?: number): Promise<string[]> {
  const body = offset === undefined ? {} : { as_of: dayAt(offset) };
  const r = await h.server.api("POST", "/api/v1/dunning/runs", body);
  expect(r.status).toBe(200);
  await waitForJobs(h.db);
  return r.body.data.steps
    .filter((s: { customer_id: number }) => s.customer_id === customerId)
    .map((s: { step: string }) => s.step);
}

/** An element's text as a person reads it (the apostrophe the templates escape). */
const shownText = (html: string, id: string) => textOf(html, id)?.replaceAll("&#39;", "'");

const auditOf = (entity: string, id: string) =>
  h.db
    .selectFrom("audit_log")
    .select(["action", "actor"])
    .where("entity", "=", entity)
    .where("entity_id", "=", id)
    .execute();

const extensionOf = (invoice: string) =>
  h.db
    .selectFrom("invoice_due_extension")
    .select(["due_date", "reason"])
    .where("invoice_id", "=", invoice)
    .executeTakeFirst();

const exemptOf = async (id: number) =>
  (
    await h.db
      .selectFrom("customer")
      .select("dunning_exempt")
      .where("id", "=", BigInt(id))
      .executeTakeFirstOrThrow()
  ).dunning_exempt;

/** What the page must never write back: the control and bidi characters the reasons below carry. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the raw characters a page must not echo.
const UNSHOWN = /[\u0000\u0007\u202E]/;

/** A bad reason and what is said beside the field. */
const BAD_REASONS: [string, RegExp][] = [
  ["disputed\u0000", /^Held a control character/],
  ["disputed\u0007", /^Held a control character/],
  ["\u202Edetupsid", /^Held a text-direction control character \(U\+202E\)/],
  ["x".repeat(1001), /^Must be at most 1000 characters/],
  ["x".repeat(10_001), /^Was longer than 10,000 characters/],
];

describe("dunning on the customer page", () => {
  it("shows the episode's steps, and an exempted customer is skipped by a dunning run", async () => {
    const locked = await overdueCustomer("ladder-shown@example.com");
    expect(await stepsOf(locked.id, 8)).toContain("second_overdue");
    const shownPage = await billing.get(`/console/customers/${locked.id}`);
    expect(textOf(shownPage.text, "dunning-exempt")).toMatch(/^Not exempt/);
    expect(shownPage.text).toMatch(/<li>second overdue, [\s\S]*?status active → locked<\/li>/);

    const { id } = await overdueCustomer("exempt-console@example.com");
    const page = `/console/customers/${id}`;
    const answer = await billing.submit(page, `${page}/dunning-exemption`, {
      exempt: "true",
      reason: "disputed by the customer",
    });
    expect(answer).toMatchObject({ status: 303, location: `${page}?notice=dunning_exempted` });
    expect(textOf((await billing.get(answer.location!)).text, "dunning-exempt")).toMatch(/^exempt/);
    expect(await stepsOf(id, 8)).toEqual([]);
    expect(await solusioStatus(id)).toBe("active");
    expect(await solusioStatus(locked.id)).toBe("locked");
    expect((await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.status).toBe("active");

    // Ending the exemption through the page puts the customer back on the ladder (the verb queues an evaluation).
    const ended = await billing.submit(page, `${page}/dunning-exemption`, {
      exempt: "false",
      reason: "dispute settled",
    });
    expect(ended).toMatchObject({ status: 303, location: `${page}?notice=dunning_exemption_ended` });
    // Its evaluation, as of today (day +30), takes the whole ladder at once: the strongest status.
    await waitForJobs(h.db);
    expect(await solusioStatus(id)).toBe("suspended");
  });

  it("refuses an exemption without a reason beside the field, writing nothing", async () => {
    const { id } = await overdueCustomer("exempt-noreason@example.com");
    const page = `/console/customers/${id}`;
    const answer = await billing.submit(page, `${page}/dunning-exemption`, { exempt: "true", reason: " " });
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/id="reason-error">[^<]+</);
    const row = await h.db
      .selectFrom("customer")
      .select("dunning_exempt")
      .where("id", "=", BigInt(id))
      .executeTakeFirstOrThrow();
    expect(row.dunning_exempt).toBe(false);
    expect(await auditOf("customer", String(id))).toHaveLength(1); // its creation only
  });

  // A reason is free text kept in the audit log: the text check's refusals (page-text-input.ts) and the verb's
  // bound, each beside the field, before the form's one-time key is claimed.
  it("refuses a reason with a control character, a bidi override or over the bound beside it, writing nothing and leaving the form's key unspent", async () => {
    const { id } = await overdueCustomer("exempt-badreason@example.com");
    const page = `/console/customers/${id}`;
    const form = hiddenOf((await billing.get(page)).text);
    expect(form["form_key"]).toMatch(/./);
    for (const [reason, said] of BAD_REASONS) {
      const answer = await billing.request("POST", `${page}/dunning-exemption`, {
        ...form,
        exempt: "true",
        reason,
      });
      expect(answer.status, JSON.stringify(reason.slice(0, 20))).toBe(400);
      expect(textOf(answer.text, "reason-error")).toMatch(said);
      expect(answer.text).not.toMatch(UNSHOWN);
    }
    expect(await exemptOf(id)).toBe(false);
    expect(await auditOf("customer", String(id))).toHaveLength(1); // its creation only
    // The same form (its key) sent again with a clean reason does the work: the refusals spent nothing.
    const corrected = await billing.request("POST", `${page}/dunning-exemption`, {
      ...form,
      exempt: "true",
      reason: "disputed",
    });
    expect(corrected).toMatchObject({ status: 303, location: `${page}?notice=dunning_exempted` });
    expect(await exemptOf(id)).toBe(true);
  });

  it("does the exemption once when its form is sent twice", async () => {
    const { id } = await overdueCustomer("exempt-twice@example.com");
    const page = `/console/customers/${id}`;
    const form = { ...hiddenOf((await billing.get(page)).text), exempt: "true", reason: "twice" };
    const first = await billing.request("POST", `${page}/dunning-exemption`, form);
    const second = await billing.request("POST", `${page}/dunning-exemption`, form);
    expect(first.location).toBe(`${page}?notice=dunning_exempted`);
    expect(second).toMatchObject({ status: 303, location: `${page}?notice=dunning_exempted_before` });
    const updates = (await auditOf("customer", String(id))).filter((a) => a.action === "customer.update");
    expect(updates).toHaveLength(1);
  });

  it("shows support no exemption form and refuses its post", async () => {
    const { id } = await overdueCustomer("exempt-support@example.com");
    const page = `/console/customers/${id}`;
    const shown = await support.get(page);
    expect(shown.status).toBe(200);
    expect(textOf(shown.text, "dunning-exempt")).toMatch(/^Not exempt/);
    expect(shown.text).not.toContain("/dunning-exemption");
    const refused = await support.submit(page, `${page}/dunning-exemption`, { exempt: "true", reason: "x" });
    expect(refused.status).toBe(403);
    const row = await h.db
      .selectFrom("customer")
      .select("dunning_exempt")
      .where("id", "=", BigInt(id))
      .executeTakeFirstOrThrow();
    expect(row.dunning_exempt).toBe(false);
  });
});

describe("extending a due date on the invoice page", () => {
  it("moves the ladder: no lock on the old date, and the page says the document keeps its date", async () => {
    const { id, invoice } = await overdueCustomer("extend-console@example.com");
    const page = `/console/invoices/${invoice}`;
    const shown = await billing.get(page);
    expect(shownText(shown.text, "due_date-hint")).toContain(`After the invoice's own due date ${due}`);
    expect(shown.text).toContain("The invoice document keeps its own due date");
    const later = addDays(calendarDate(new Date(), "UTC"), 5);
    const answer = await billing.submit(page, `${page}/due-date-extension`, {
      due_date: later,
      reason: "agreed on the phone",
    });
    expect(answer).toMatchObject({ status: 303, location: `${page}?notice=due_date_extended` });
    expect(textOf((await billing.get(page)).text, "due-extension")).toContain(
      `Extended for dunning to ${later}`,
    );
    expect(await stepsOf(id, 8)).toEqual([]);
    expect(await stepsOf(id)).toEqual([]);
    expect(await solusioStatus(id)).toBe("active");
    const api = (await h.server.api("GET", `/api/v1/invoices/${invoice}`)).body.data;
    expect(api.due_date).toBe(due);
  });

  it("refuses a date not after the invoice's own, a garbage date and a paid invoice, writing nothing", async () => {
    const { invoice } = await overdueCustomer("extend-bad@example.com");
    const page = `/console/invoices/${invoice}`;
    const past = await billing.submit(page, `${page}/due-date-extension`, {
      due_date: addDays(due, -1),
      reason: "too early",
    });
    expect(past.status).toBe(400);
    expect(shownText(past.text, "due_date-error")).toBe(`Must be after the invoice's due date ${due}.`);
    expect(past.text).toContain('value="too early"');
    const garbage = await billing.submit(page, `${page}/due-date-extension`, {
      due_date: "next week",
      reason: "garbage",
    });
    expect(garbage.status).toBe(400);
    expect(textOf(garbage.text, "due_date-error")).toMatch(/./);
    expect(await extensionOf(invoice)).toBeUndefined();

    await recordPayment({
      ctx,
      input: { invoice_id: invoice, amount: 4_200n, method: "bank_transfer", reference: `paid-${invoice}` },
    });
    const paidPage = await billing.get(page);
    expect(paidPage.text).not.toContain("/due-date-extension");
    const paid = await billing.request("POST", `${page}/due-date-extension`, {
      ...hiddenOf(paidPage.text),
      due_date: addDays(due, 10),
      reason: "paid already",
    });
    expect(paid.status).toBe(409);
    expect(paid.text).toMatch(/only a finalized or partly paid invoice has a due date to extend/);
    expect(await extensionOf(invoice)).toBeUndefined();
    expect(await auditOf("invoice_due_extension", invoice)).toEqual([]);
  });

  it("refuses a reason with a control character, a bidi override or over the bound beside it, writing nothing and leaving the form's key unspent", async () => {
    const { invoice } = await overdueCustomer("extend-badreason@example.com");
    const page = `/console/invoices/${invoice}`;
    const form = hiddenOf((await billing.get(page)).text);
    expect(form["form_key"]).toMatch(/./);
    const due_date = addDays(due, 40);
    for (const [reason, said] of BAD_REASONS) {
      const answer = await billing.request("POST", `${page}/due-date-extension`, {
        ...form,
        due_date,
        reason,
      });
      expect(answer.status, JSON.stringify(reason.slice(0, 20))).toBe(400);
      expect(textOf(answer.text, "reason-error")).toMatch(said);
      expect(answer.text).toMatch(new RegExp(`id="due_date"[^>]* value="${due_date}"`));
      expect(answer.text).not.toMatch(UNSHOWN);
    }
    expect(await extensionOf(invoice)).toBeUndefined();
    expect(await auditOf("invoice_due_extension", invoice)).toEqual([]);
    const corrected = await billing.request("POST", `${page}/due-date-extension`, {
      ...form,
      due_date,
      reason: "agreed",
    });
    expect(corrected).toMatchObject({ status: 303, location: `${page}?notice=due_date_extended` });
    expect(await extensionOf(invoice)).toEqual({ due_date, reason: "agreed" });
  });

  it("extends once when its form is sent twice", async () => {
    const { invoice } = await overdueCustomer("extend-twice@example.com");
    const page = `/console/invoices/${invoice}`;
    const form = {
      ...hiddenOf((await billing.get(page)).text),
      due_date: addDays(due, 40),
      reason: "twice",
    };
    const first = await billing.request("POST", `${page}/due-date-extension`, form);
    const second = await billing.request("POST", `${page}/due-date-extension`, form);
    expect(first.location).toBe(`${page}?notice=due_date_extended`);
    expect(second).toMatchObject({ status: 303, location: `${page}?notice=due_date_extended_before` });
    expect(await auditOf("invoice_due_extension", invoice)).toHaveLength(1);
  });

  it("shows support no extension form and refuses its post", async () => {
    const { invoice } = await overdueCustomer("extend-support@example.com");
    const page = `/console/invoices/${invoice}`;
    const shown = await support.get(page);
    expect(shown.status).toBe(200);
    expect(shown.text).not.toContain("/due-date-extension");
    const refused = await support.submit(page, `${page}/due-date-extension`, {
      due_date: addDays(due, 40),
      reason: "support tries",
    });
    expect(refused.status).toBe(403);
    expect(await extensionOf(invoice)).toBeUndefined();
  });
});
