import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SolusioHarness,
  startSolusioHarness,
  waitForJobs,
} from "../../../test/helpers/solusio-harness.ts";
import { type SmtpSink, startSmtpSink } from "../../delivery/testing/smtp-sink.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { addDays, calendarDate } from "../runs/calendar-date.ts";
import { issueInvoice } from "./dunning-fixtures.ts";

// billing-rules §8 end to end: tokenbill's HTTP API, job runner and user sync against the SolusIO emulator,
// and a real SMTP server. The ladder is driven through POST /api/v1/dunning/runs with as_of instants
// (time travel in the past: the invoice fell due 30 days ago), the payment through recordPayment, whose
// dunning.evaluate job the runner carries out.

let h: SolusioHarness;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  h = await startSolusioHarness({ SMTP_HOST: "127.0.0.1", SMTP_PORT: sink.port });
  h.runner.start();
});
afterAll(async () => {
  await h?.close();
  await sink?.close();
});

const due = addDays(calendarDate(new Date(), "UTC"), -30);
const dayAt = (offset: number) => `${addDays(due, offset)}T00:00:00Z`;

async function solusioUser(billingUserId: number) {
  const users = (await h.emu("GET", "/api/v1/users?per_page=100")).body.data as any[];
  return users.find((u) => u.billing_user_id === billingUserId);
}

async function customerWithServer(email: string) {
  const c = (await h.server.api("POST", "/api/v1/customers", { email, country: "US", currency: "USD" })).body
    .data;
  await waitForJobs(h.db);
  const user = await solusioUser(c.id);
  const plan = (
    await h.emu("POST", "/api/v1/plans", { name: `p-${email}`, tokens_per_hour: 7, tokens_per_month: 5000 })
  ).body.data;
  const location = (await h.emu("GET", "/api/v1/locations")).body.data[0];
  const server = await h.emu("POST", "/api/v1/servers", {
    name: "web",
    plan: plan.id,
    location: location.id,
    os: 1,
    password: "x",
    user: user.id,
  });
  expect(server.status).toBe(201);
  return { id: c.id as number, serverId: server.body.data.id as number };
}

async function run(offset: number): Promise<string[]> {
  const r = await h.server.api("POST", "/api/v1/dunning/runs", { as_of: dayAt(offset) });
  expect(r.status).toBe(200);
  await waitForJobs(h.db);
  return r.body.data.steps.map((s: { step: string }) => s.step);
}

const isSuspended = async (serverId: number) =>
  (await h.emu("GET", `/api/v1/servers/${serverId}`)).body.data.is_suspended as boolean;

function ctx(): ServiceContext {
  return {
    db: h.db,
    config: h.config,
    logger: pino({ level: "silent" }),
    actor: actors.cli(),
    now: () => new Date(),
  };
}

const subjects = () => sink.received.map((m) => /^Subject: (.*)$/m.exec(m.raw.toString())?.[1] ?? "");

describe("dunning against the SolusIO emulator", () => {
  it("reminds, locks, suspends (servers too), and a payment makes the customer active again", async () => {
    const { id, serverId } = await customerWithServer("ladder-e2e@example.com");
    const inv = await issueInvoice(h.db, { customerId: BigInt(id), total: 4_200n, dueDate: due });
    const mailsBefore = sink.received.length;

    expect(await run(-3)).toEqual(["reminder"]);
    expect(await run(-3)).toEqual([]);
    expect(await run(1)).toEqual(["first_overdue"]);
    expect((await solusioUser(id)).status).toBe("active");
    expect(await run(7)).toEqual(["second_overdue"]);
    expect((await solusioUser(id)).status).toBe("locked");
    expect(await isSuspended(serverId)).toBe(false);
    expect(await run(14)).toEqual(["final_notice", "termination_candidate"]);
    expect((await solusioUser(id)).status).toBe("suspended");
    expect(await isSuspended(serverId)).toBe(true);

    const mails = subjects().slice(mailsBefore);
    expect(mails).toEqual([
      "Payment reminder: $42.00 due to tokenbill",
      "Your invoice is overdue: $42.00 due to tokenbill",
      "Second notice: account locked: $42.00 due to tokenbill",
      "Final notice: account suspended: $42.00 due to tokenbill",
    ]);
    expect(sink.received.at(-1)!.to).toEqual(["ladder-e2e@example.com"]);

    // Paid through the payments verb: its dunning.evaluate job ends the episode and the sync lifts it.
    await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv, amount: 4_200n, method: "bank_transfer", reference: `e2e-${inv}` },
    });
    await waitForJobs(h.db);
    expect((await solusioUser(id)).status).toBe("active");
    expect(await isSuspended(serverId)).toBe(false);
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.status).toBe("active");
    expect(customer.sync.state).toBe("in_sync");
  });

  it("a customer staff suspended pays and stays suspended in SolusIO", async () => {
    const { id, serverId } = await customerWithServer("abuse-e2e@example.com");
    await h.server.api("PATCH", `/api/v1/customers/${id}`, { status: "suspended" });
    await waitForJobs(h.db);
    expect((await solusioUser(id)).status).toBe("suspended");
    const inv = await issueInvoice(h.db, { customerId: BigInt(id), total: 1_000n, dueDate: due });
    await run(14);
    await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv, amount: 1_000n, method: "bank_transfer", reference: `e2e-${inv}` },
    });
    await waitForJobs(h.db);
    const episode = await h.db
      .selectFrom("dunning_episode")
      .select("ended_at")
      .where("customer_id", "=", BigInt(id))
      .executeTakeFirstOrThrow();
    expect(episode.ended_at).not.toBeNull();
    expect((await solusioUser(id)).status).toBe("suspended");
    expect(await isSuspended(serverId)).toBe(true);
  });
});

describe("dunning routes refuse bad input", () => {
  it("answers 400/404 naming the field, and writes nothing", async () => {
    const bad = await h.server.api("POST", "/api/v1/dunning/runs", { as_of: "tomorrow" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].field).toBe("as_of");
    const future = await h.server.api("POST", "/api/v1/dunning/runs", { as_of: "2999-01-01T00:00:00Z" });
    expect(future.status).toBe(400);
    expect(future.body.error.issues[0].field).toBe("as_of");
    expect((await h.server.api("POST", "/api/v1/dunning/runs", {})).status).toBe(200);
    const missing = await h.server.api("PUT", "/api/v1/customers/999999/dunning-exemption", {
      exempt: true,
      reason: "x",
    });
    expect(missing.status).toBe(404);
    const noReason = await h.server.api("PUT", "/api/v1/customers/1/dunning-exemption", { exempt: true });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.issues[0].field).toBe("reason");
    const badDate = await h.server.api("POST", "/api/v1/invoices/inv_abc/due-date-extension", {
      due_date: "2026-13-01",
      reason: "x",
    });
    expect(badDate.status).toBe(400);
    expect(badDate.body.error.issues[0].field).toBe("due_date");
  });
});
