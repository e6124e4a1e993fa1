import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { issueInvoices } from "../billing/payments/testing/invoice-fixtures.ts";
import { finalizeInvoices } from "../billing/runs/finalize-invoices.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../db/open-database.ts";

// A payment, credit note or mark-paid sent for a draft at the moment a billing run issues it, the customer
// holding credit: the money event holds the customer and waits for the invoice, the run holds the invoice and
// waits for the customer (to apply the credit), and PostgreSQL rolls one back (the test makes it the request). When it is the request, it is
// answered 503 with Retry-After ("try again"), nothing written, and sent again it pays the issued invoice;
// until 2026-12-05 it was a 500. PostgreSQL only: PGlite runs one transaction at a time.

let handle: DatabaseHandle;
let server: TestServer;
beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const now = new Date("2026-11-01T01:00:00Z");

async function post(path: string, body: unknown) {
  const response = await fetch(server.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: await response.json(),
  };
}

/** Polls `done` every 10 ms for up to 5 s; throws naming `what` if it never holds. */
async function waitUntil(what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${what}: not within 5 s`);
}

const ledgerRows = async (customerId: bigint) =>
  Number(
    (
      await handle.db
        .selectFrom("ledger_entry")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("customer_id", "=", customerId)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe.runIf(process.env["DATABASE_URL"])("a money event on a draft the billing run is issuing", () => {
  type Request = (id: string) => [string, Record<string, unknown>];
  it.each<[string, string, Request]>([
    [
      "payment",
      "2026-07",
      (id: string) => [`/api/v1/invoices/${id}/payments`, { amount: 100, reference: "DURING-FIN" }],
    ],
    [
      "credit note",
      "2026-06",
      (id: string) => [`/api/v1/invoices/${id}/credit-notes`, { amount: 100, reason: "goodwill" }],
    ],
    [
      "mark-paid",
      "2026-05",
      (id: string) => [
        `/api/v1/invoices/${id}/mark-paid`,
        { amount: 734, date: "2026-11-01", reference: "DURING-FIN-MP" },
      ],
    ],
  ])(
    "answers a %s 503 to send again, writing nothing, when the database breaks the deadlock with it",
    async (_kind, period, request) => {
      const [c] = await createCustomers(handle, [{ email: `during-${period}@example.com` }]);
      const credit = await post(`/api/v1/customers/${c}/payments`, {
        amount: 500,
        reference: `CREDIT-${period}`,
      });
      expect(credit.body.data.credit).toBe(500);
      const [draft] = await issueInvoices(handle.db, [{ customerId: c!, total: 1234n, period }], {
        now,
        draftOnly: true,
      });
      const [path, body] = request(draft!);
      const rowsBefore = await ledgerRows(c!);
      let sent: ReturnType<typeof post> | undefined;
      // The order is made, not raced: a third transaction holds the customer, so the request queues for it
      // first; the finalizer then queues behind it; only then is the customer let go. The request takes it
      // and waits for the draft the finalizer holds, and its own deadlock check (1 s) finds the cycle. The
      // finalizer checks only after a minute, so PostgreSQL never picks it here.
      let letGo = () => {};
      let customerHeld = (_holderPid: number) => {};
      const held = new Promise<number>((resolve) => {
        customerHeld = resolve;
      });
      const holder = handle.db.transaction().execute(async (hold) => {
        await hold.selectFrom("customer").select("id").where("id", "=", c!).forUpdate().execute();
        const release = new Promise<void>((resolve) => {
          letGo = resolve;
        });
        customerHeld((await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(hold)).rows[0]!.pid);
        await release;
      });
      const holderPid = await held;
      await handle.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL deadlock_timeout = '60s'`.execute(trx);
        // The finalizer's first statement locks the drafts.
        await trx.selectFrom("invoice").select("id").where("id", "=", draft!).forUpdate().execute();
        const { pid } = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!;
        sent = post(path, body);
        sent.catch(() => {}); // awaited below
        await waitUntil("the request queued for the customer", async () => {
          const waiting = await sql<{ n: string }>`
            SELECT count(*) AS n FROM pg_stat_activity WHERE ${holderPid}::int = ANY (pg_blocking_pids(pid))`.execute(
            handle.db,
          );
          return Number(waiting.rows[0]!.n) > 0;
        });
        const finalizing = finalizeInvoices(trx, {
          period,
          limit: 10,
          issueDate: "2026-11-01",
          paymentTermsDays: 14,
          format: `DF${period}-{000000}`,
          now,
        });
        finalizing.catch(() => {}); // awaited below
        await waitUntil("the finalizer queued for the customer", async () => {
          const blocked = await sql<{ n: string }>`
            SELECT cardinality(pg_blocking_pids(${pid}::int)) AS n`.execute(handle.db);
          return Number(blocked.rows[0]!.n) > 0;
        });
        letGo();
        await holder;
        await finalizing;
      });
      const answer = await sent!;
      expect([answer.status, answer.retryAfter, answer.body.error.code]).toEqual([
        503,
        "5",
        "UPSTREAM_UNAVAILABLE",
      ]);
      expect(answer.body.error.message).toMatch(
        /^the database: ended this transaction to resolve a deadlock/,
      );
      // Issued with the credit applied (fin + cra: four rows), and nothing of the request's.
      expect(await ledgerRows(c!)).toBe(rowsBefore + 4);
      const written = await handle.db
        .selectFrom("payment")
        .select("reference")
        .where("customer_id", "=", c!)
        .union(
          handle.db.selectFrom("credit_note").select("number as reference").where("customer_id", "=", c!),
        )
        .execute();
      expect(written.map((r) => r.reference)).toEqual([`CREDIT-${period}`]);
      const invoice = await server.api("GET", `/api/v1/invoices/${draft}`);
      expect(invoice.body.data).toMatchObject({ status: "partially_paid", amount_due: 734 });
      // Sent again, it is done on the issued invoice.
      const again = await post(path, body);
      expect(again.status, JSON.stringify(again.body)).toBeLessThan(300);
    },
  );
});
