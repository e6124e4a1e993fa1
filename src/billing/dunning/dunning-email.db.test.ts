import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { claimJobs } from "../../jobs/claim-jobs.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { dunningEmailHandler } from "./dunning-email-handler.ts";
import { createDunCustomer, issueInvoice } from "./dunning-fixtures.ts";
import type { DunningMail } from "./dunning-mail.ts";
import { evaluateCustomerDunning } from "./evaluate-dunning.ts";

// dunning.email jobs while SMTP is down (billing-rules §8): they must not hold back the customer's
// dunning.evaluate jobs, and one that finally runs after the customer paid sends nothing.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const DUE = "2026-11-15";
const config = parseConfig({ LOG_LEVEL: "silent", SMTP_HOST: "127.0.0.1", SMTP_PORT: "2525" });
function ctxAt(iso: string): ServiceContext {
  return {
    db: handle.db,
    config,
    logger: pino({ level: "silent" }),
    actor: actors.system("test"),
    now: () => new Date(iso),
  };
}

async function suspendedCustomer(email: string) {
  const id = await createDunCustomer(handle.db, { email });
  const invoice = await issueInvoice(handle.db, { customerId: id, total: 1_500n, dueDate: DUE });
  await evaluateCustomerDunning(ctxAt("2026-11-29T00:00:00Z"), id, new Date("2026-11-29T00:00:00Z"));
  const mail = await handle.db
    .selectFrom("job")
    .select(["id", "payload"])
    .where("kind", "=", "dunning.email")
    .where("payload", "@>", JSON.stringify({ step: "final_notice" }) as never)
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
  return { id, invoice, mail };
}
async function pay(invoiceId: string, iso: string) {
  await recordPayment({
    ctx: ctxAt(iso),
    input: { invoice_id: invoiceId, amount: 1_500n, method: "bank_transfer", reference: `ref-${invoiceId}` },
  });
}

describe("dunning e-mails while SMTP is down", () => {
  it("a pending e-mail does not hold back the evaluation a payment queues", async () => {
    const { id, invoice } = await suspendedCustomer("smtp-down@example.com");
    await pay(invoice, "2026-11-30T00:00:00Z");
    const claimed = await claimJobs(
      handle.db,
      { workerId: "test", lockSeconds: 60 },
      ["dunning.evaluate"],
      50,
    );
    expect(claimed.map((j) => j.payload)).toContainEqual({ customer_id: String(id) });
  });

  it("an e-mail that runs after the customer paid is not sent, even with a new invoice not yet due", async () => {
    const { id, invoice, mail } = await suspendedCustomer("paid-first@example.com");
    await issueInvoice(handle.db, { customerId: id, total: 900n, dueDate: "2026-12-20" });
    await pay(invoice, "2026-11-30T00:00:00Z");
    const sent: DunningMail[] = [];
    const handler = dunningEmailHandler({
      ...ctxAt("2026-11-30T01:00:00Z"),
      smtp: { host: "127.0.0.1", port: 2525, secure: false },
      seller: { name: "tokenbill", email: "billing@example.com" },
      send: async (_smtp, m) => {
        sent.push(m);
        return { messageId: "x" };
      },
    });
    await handler({
      id: mail.id,
      kind: "dunning.email",
      orderingKey: null,
      payload: mail.payload as { episode_id: string; step: string },
      attempts: 1,
    });
    expect(sent).toEqual([]);
  });

  it("an overdue notice is still sent while its invoice is overdue", async () => {
    const { mail } = await suspendedCustomer("still-owes@example.com");
    const sent: DunningMail[] = [];
    await dunningEmailHandler({
      ...ctxAt("2026-11-30T01:00:00Z"),
      smtp: { host: "127.0.0.1", port: 2525, secure: false },
      seller: { name: "tokenbill", email: "billing@example.com" },
      send: async (_smtp, m) => {
        sent.push(m);
        return { messageId: "x" };
      },
    })({
      id: mail.id,
      kind: "dunning.email",
      orderingKey: null,
      payload: mail.payload as { episode_id: string; step: string },
      attempts: 1,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to.address).toBe("still-owes@example.com");
    expect(sent[0]!.subject).toMatch(/^Final notice/);
  });
});
