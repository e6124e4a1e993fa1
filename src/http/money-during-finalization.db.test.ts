import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../test/helpers/server-per-file.ts";
import { untilLockWaiters } from "../../test/helpers/lock-waiters.ts";
import { TEST_ADMIN_KEY } from "../../test/helpers/test-server.ts";
import { issueInvoices } from "../billing/payments/testing/invoice-fixtures.ts";
import { finalizeInvoices } from "../billing/runs/finalize-invoices.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";

// A payment, credit note or mark-paid sent for a draft at the moment a billing run issues it, the customer
// holding credit. Until 2026-12-05 the run locked its drafts and then the customer (to apply the credit), the
// money event the customer and then the invoice, and PostgreSQL ended one of the two: a 500, then a 503 to
// send again. The run now locks the customers holding credit before its drafts, so whichever of the two queues
// for the customer first goes first and the other waits: the request meets the draft (409, nothing written)
// or the issued invoice (done). PostgreSQL only: PGlite runs one transaction at a time.

const file = serverPerFile();

const now = new Date("2026-11-01T01:00:00Z");

async function post(path: string, body: unknown) {
  const response = await fetch(file.server.url + path, {
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

const ledgerRows = async (customerId: bigint) =>
  Number(
    (
      await file.handle.db
        .selectFrom("ledger_entry")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("customer_id", "=", customerId)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** The request for a draft; `tag` keeps each test's payment references its own. */
type Request = (id: string, tag: string) => [string, Record<string, unknown>];
const requests: [string, string, Request][] = [
  [
    "payment",
    "2026-07",
    (id, tag) => [`/api/v1/invoices/${id}/payments`, { amount: 100, reference: `DURING-FIN-${tag}` }],
  ],
  [
    "credit note",
    "2026-06",
    (id) => [`/api/v1/invoices/${id}/credit-notes`, { amount: 100, reason: "goodwill" }],
  ],
  [
    "mark-paid",
    "2026-05",
    (id, tag) => [
      `/api/v1/invoices/${id}/mark-paid`,
      { amount: 734, date: "2026-11-01", reference: `DURING-FIN-MP-${tag}` },
    ],
  ],
];

/**
 * A third transaction that holds the customer's row until `letGo` is called; `holder` settles when it has
 * ended. Answers once the lock is held, with the transaction's backend.
 */
async function holdCustomer(customerId: bigint) {
  let letGo = () => {};
  let customerHeld = (_holderPid: number) => {};
  const held = new Promise<number>((resolve) => {
    customerHeld = resolve;
  });
  const holder = file.handle.db.transaction().execute(async (hold) => {
    await hold.selectFrom("customer").select("id").where("id", "=", customerId).forUpdate().execute();
    const release = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    customerHeld((await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(hold)).rows[0]!.pid);
    await release;
  });
  return { holderPid: await held, letGo: () => letGo(), holder };
}

/**
 * Makes the order instead of racing it: a third transaction holds the customer; the request and a billing
 * run's finalization of the draft then queue for it in the order given, each seen waiting before the next is
 * started; then the customer is let go. Answers the request's answer once both are done.
 */
async function inOrder(
  first: "request" | "run",
  customerId: bigint,
  period: string,
  [path, body]: [string, Record<string, unknown>],
) {
  const { holderPid, letGo, holder } = await holdCustomer(customerId);
  let sent: ReturnType<typeof post> | undefined;
  let finalizing: Promise<unknown> | undefined;
  const send = () => {
    sent = post(path, body);
    sent.catch(() => {}); // awaited below
  };
  const finalize = () => {
    finalizing = file.handle.db.transaction().execute((trx) =>
      finalizeInvoices(trx, {
        period,
        limit: 10,
        issueDate: "2026-11-01",
        paymentTermsDays: 14,
        format: `DF${period}-{000000}`,
        now,
      }),
    );
    finalizing.catch(() => {}); // awaited below
  };
  const [start, then] = first === "request" ? [send, finalize] : [finalize, send];
  try {
    start();
    await untilLockWaiters(
      file.handle.db,
      holderPid,
      1,
      `the ${first} to queue for the customer`,
      sent ?? finalizing,
    );
    then();
    await untilLockWaiters(file.handle.db, holderPid, 2, "both to queue for the customer");
  } finally {
    letGo();
  }
  await holder;
  await finalizing;
  return sent!;
}

async function moneyWritten(customerId: bigint) {
  const written = await file.handle.db
    .selectFrom("payment")
    .select("reference")
    .where("customer_id", "=", customerId)
    .union(
      file.handle.db
        .selectFrom("credit_note")
        .select("number as reference")
        .where("customer_id", "=", customerId),
    )
    .execute();
  return written.map((r) => r.reference).sort();
}

describe.runIf(process.env["DATABASE_URL"])("a money event on a draft the billing run is issuing", () => {
  it.each(requests)(
    "a %s that takes the customer first meets the draft (409) and the run then issues it",
    async (_kind, period, request) => {
      const [c] = await createCustomers(file.handle, [{ email: `during-${period}@example.com` }]);
      const credit = await post(`/api/v1/customers/${c}/payments`, {
        amount: 500,
        reference: `CREDIT-${period}`,
      });
      expect(credit.body.data.credit).toBe(500);
      const [draft] = await issueInvoices(file.handle.db, [{ customerId: c!, total: 1234n, period }], {
        now,
        draftOnly: true,
      });
      const rowsBefore = await ledgerRows(c!);
      const answer = await inOrder("request", c!, period, request(draft!, "first"));
      expect([answer.status, answer.body.error?.code]).toEqual([409, "CONFLICT"]);
      expect(answer.body.error.message).toMatch(/draft/);
      // Issued with the credit applied (fin + cra: four rows), and nothing of the request's.
      expect(await ledgerRows(c!)).toBe(rowsBefore + 4);
      expect(await moneyWritten(c!)).toEqual([`CREDIT-${period}`]);
      const invoice = await file.server.api("GET", `/api/v1/invoices/${draft}`);
      expect(invoice.body.data).toMatchObject({ status: "partially_paid", amount_due: 734 });
      // Sent again, it is done on the issued invoice.
      const again = await post(...request(draft!, "first"));
      expect(again.status, JSON.stringify(again.body)).toBeLessThan(300);
    },
  );

  it.each(requests)(
    "a %s that queues behind the run is done on the invoice the run issued",
    async (_kind, period, request) => {
      const [c] = await createCustomers(file.handle, [{ email: `after-${period}@example.com` }]);
      await post(`/api/v1/customers/${c}/payments`, { amount: 500, reference: `CREDIT2-${period}` });
      const [draft] = await issueInvoices(file.handle.db, [{ customerId: c!, total: 1234n, period }], {
        now,
        draftOnly: true,
      });
      const answer = await inOrder("run", c!, period, request(draft!, "behind"));
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
      const invoice = await file.server.api("GET", `/api/v1/invoices/${draft}`);
      expect(invoice.body.data.status).not.toBe("draft");
      expect(invoice.body.data.amount_due).toBeLessThan(734);
    },
  );
});

// A deadlock can still happen with a session that takes the locks the other way round (another program, an
// operator's transaction, or the run meeting a customer who gained credit after its batch's customers were
// locked): the transaction PostgreSQL ends is answered 503 with Retry-After, nothing of it kept, and sent
// again it goes through.
describe.runIf(process.env["DATABASE_URL"])("a request PostgreSQL ends to break a deadlock", () => {
  it("is answered 503 to send again, writing nothing, and the retry is done", async () => {
    const [c] = await createCustomers(file.handle, [{ email: "deadlock@example.com" }]);
    const [invoice] = await issueInvoices(
      file.handle.db,
      [{ customerId: c!, total: 900n, period: "2026-04" }],
      {
        now,
      },
    );
    const body = { amount: 100, reference: "DEADLOCKED" };
    const { holderPid, letGo, holder } = await holdCustomer(c!);
    let sent: ReturnType<typeof post> | undefined;
    // The other session holds the invoice and then asks for its customer, after the request queued for it;
    // it checks for a deadlock only after a minute, so the request's own check (1 s) finds the cycle.
    const other = file.handle.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL deadlock_timeout = '60s'`.execute(trx);
      await trx.selectFrom("invoice").select("id").where("id", "=", invoice!).forUpdate().execute();
      try {
        sent = post(`/api/v1/invoices/${invoice}/payments`, body);
        sent.catch(() => {}); // awaited below
        await untilLockWaiters(file.handle.db, holderPid, 1, "the request to queue for the customer", sent);
        const asking = trx.selectFrom("customer").select("id").where("id", "=", c!).forUpdate().execute();
        asking.catch(() => {}); // awaited below
        await untilLockWaiters(file.handle.db, holderPid, 2, "the other session to queue behind it", asking);
        letGo();
        await asking;
      } finally {
        letGo();
      }
    });
    await other;
    await holder;
    const answer = await sent!;
    expect([answer.status, answer.retryAfter, answer.body.error.code]).toEqual([
      503,
      "5",
      "UPSTREAM_UNAVAILABLE",
    ]);
    expect(answer.body.error.message).toMatch(/^the database: ended this transaction to resolve a deadlock/);
    expect(await moneyWritten(c!)).toEqual([]);
    const again = await post(`/api/v1/invoices/${invoice}/payments`, body);
    expect([again.status, again.body.data?.amount]).toEqual([201, 100]);
  });
});
