import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditRows,
  customerInput,
  insertInvoice,
  jobRows,
  NOW,
  NOW_ISO,
  tableRows,
} from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import { createClientGroup } from "../client-groups/client-groups.ts";
import { createCustomer, deleteCustomer, getCustomer, listCustomers, updateCustomer } from "./customers.ts";

// The customer verbs called directly, each in a rolled-back transaction: values, audit rows, sync jobs, refusals.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const syncJob = (id: number, deleted?: unknown) => ({
  kind: "solusio.sync_customer",
  ordering_key: `customer:${id}`,
  payload: { customerId: String(id), ...(deleted ? { deleted } : {}) },
  status: "pending",
});
/** The job written with the customer's creation: its first attempt creates without looking first. */
const creationSyncJob = (id: number) => ({
  ...syncJob(id),
  payload: { customerId: String(id), created: true },
});

describe("createCustomer", () => {
  it("stores the customer, audits customer.create and enqueues one sync job, all in one transaction", async () => {
    await withRollback(handle.db, async (ctx) => {
      const customer = await createCustomer({
        ctx,
        input: customerInput({ region: "BY", tax_exempt: true }),
      });
      expect(customer).toEqual({
        id: customer.id,
        email: "ada@example.com",
        name: "Ada",
        country: "DE",
        region: "BY",
        currency: "EUR",
        tax_exempt: true,
        status: "active",
        status_source: null,
        status_reason: null,
        client_group_id: null,
        tax_rule_id: null,
        limit_group: null,
        sync: { state: "pending", error: null, solusio_user_id: null, synced_at: null },
        created_at: NOW_ISO,
        updated_at: NOW_ISO,
      });
      expect(await getCustomer({ ctx, input: { id: BigInt(customer.id) } })).toEqual(customer);
      expect(await auditRows(ctx.db)).toEqual([
        {
          at: NOW,
          actor: "system:test",
          request_id: null,
          action: "customer.create",
          entity: "customer",
          entity_id: String(customer.id),
          before: null,
          after: customer,
        },
      ]);
      expect(await jobRows(ctx.db)).toEqual([creationSyncJob(customer.id)]);
    });
  });

  it("refuses an e-mail taken in any case (CONFLICT) and unknown references (VALIDATION), writing nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createCustomer({ ctx, input: customerInput() });
      const [audits, jobs] = [await auditRows(ctx.db), await jobRows(ctx.db)];
      await expect(
        createCustomer({ ctx, input: customerInput({ email: "ADA@example.com" }) }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        message: "a customer with e-mail ADA@example.com already exists",
      });
      for (const [input, field, message] of [
        [{ currency: "XYZ" }, "currency", "unknown currency XYZ; create it first"],
        [{ client_group_id: 999_999n }, "client_group_id", "no client group with id 999999"],
        [{ tax_rule_id: 999_999n }, "tax_rule_id", "no tax rule with id 999999"],
      ] as const) {
        await expect(
          createCustomer({ ctx, input: customerInput({ email: "bob@example.com", ...input }) }),
        ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field, message }] });
      }
      expect([await auditRows(ctx.db), await jobRows(ctx.db)]).toEqual([audits, jobs]);
      expect((await listCustomers({ ctx, input: { page: 1, per_page: 50 } })).meta.total).toBe(1);
    });
  });
});

describe("updateCustomer", () => {
  it("marks a status staff set as staff's, with its reason, so dunning never lifts it (billing-rules §8)", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { id } = await createCustomer({ ctx, input: customerInput() });
      const suspended = await updateCustomer({
        ctx,
        input: { id: BigInt(id), patch: { status: "suspended", status_reason: "abuse report #12" } },
      });
      expect([suspended.status, suspended.status_source, suspended.status_reason]).toEqual([
        "suspended",
        "staff",
        "abuse report #12",
      ]);
      // A change of anything else keeps who set the status and why.
      const renamed = await updateCustomer({ ctx, input: { id: BigInt(id), patch: { name: "Ada L." } } });
      expect([renamed.status_source, renamed.status_reason]).toEqual(["staff", "abuse report #12"]);
      const lifted = await updateCustomer({ ctx, input: { id: BigInt(id), patch: { status: "active" } } });
      expect([lifted.status, lifted.status_source, lifted.status_reason]).toEqual(["active", "staff", null]);
      await expect(
        updateCustomer({ ctx, input: { id: BigInt(id), patch: { status_reason: "x".repeat(1001) } } }),
      ).rejects.toMatchObject({ code: "VALIDATION" });
    });
  });

  it("enqueues a sync only when something SolusIO holds changes, and audits before and after", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { id } = await createCustomer({ ctx, input: customerInput() });
      await ctx.db.updateTable("customer").set({ sync_state: "in_sync" }).execute();
      await ctx.db.deleteFrom("job").execute();
      const later = { ...ctx, now: () => new Date("2026-11-30T08:00:00Z"), actor: actors.cli() };

      const renamed = await updateCustomer({
        ctx: later,
        // A status equal to the stored one changes nothing SolusIO holds.
        input: { id: BigInt(id), patch: { name: "Ada L.", status: "active" } },
      });
      expect([renamed.name, renamed.sync.state, renamed.updated_at]).toEqual([
        "Ada L.",
        "in_sync",
        "2026-11-30T08:00:00.000Z",
      ]);
      expect(await jobRows(ctx.db)).toEqual([]);

      const moved = await updateCustomer({
        ctx: later,
        input: { id: BigInt(id), patch: { email: "ada@lovelace.example", limit_group: "Default" } },
      });
      expect([moved.email, moved.limit_group, moved.sync]).toEqual([
        "ada@lovelace.example",
        "Default",
        { state: "pending", error: null, solusio_user_id: null, synced_at: null },
      ]);
      expect(await jobRows(ctx.db)).toEqual([syncJob(id)]);
      expect(await getCustomer({ ctx, input: { id: BigInt(id) } })).toEqual(moved);

      const audits = await auditRows(ctx.db);
      expect(audits.map((a) => [a.action, a.actor])).toEqual([
        ["customer.create", "system:test"],
        ["customer.update", "cli"],
        ["customer.update", "cli"],
      ]);
      expect([audits[2]!.before, audits[2]!.after]).toEqual([renamed, moved]);
    });
  });

  it("refuses an unknown id (NOT_FOUND) and another customer's e-mail (CONFLICT)", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createCustomer({ ctx, input: customerInput() });
      const bob = await createCustomer({ ctx, input: customerInput({ email: "bob@example.com" }) });
      await expect(
        updateCustomer({ ctx, input: { id: 999_999n, patch: { name: "x" } } }),
      ).rejects.toMatchObject({ code: "NOT_FOUND", message: "customer 999999 not found" });
      await expect(
        updateCustomer({ ctx, input: { id: BigInt(bob.id), patch: { email: "Ada@Example.com" } } }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        message: "a customer with e-mail Ada@Example.com already exists",
      });
      // Its own address, in another case, is no conflict.
      const same = await updateCustomer({
        ctx,
        input: { id: BigInt(bob.id), patch: { email: "BOB@example.com" } },
      });
      expect(same.email).toBe("BOB@example.com");
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual([
        "customer.create",
        "customer.create",
        "customer.update",
      ]);
    });
  });
});

describe("updateCustomer: the currency", () => {
  const customerRow = (ctx: { db: Parameters<typeof auditRows>[0] }, id: number) =>
    ctx.db.selectFrom("customer").selectAll().where("id", "=", BigInt(id)).executeTakeFirstOrThrow();

  it("refuses a change while the customer has an invoice in its currency, a draft too, and changes nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { id } = await createCustomer({ ctx, input: customerInput() });
      await insertInvoice(ctx.db, BigInt(id)); // a draft, priced in EUR
      const before = await customerRow(ctx, id);
      const [audits, jobs] = [await auditRows(ctx.db), await jobRows(ctx.db)];
      const message =
        "cannot change from EUR to USD: the customer has 1 invoice in EUR, which keeps its currency, and its statement and payments would then be in USD without it; a customer's currency can change only while it has no invoice (draft included), payment or ledger entry in its currency";
      await expect(
        updateCustomer({ ctx, input: { id: BigInt(id), patch: { currency: "USD", name: "Ada L." } } }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        message: `currency: ${message}`,
        issues: [{ field: "currency", message }],
      });
      expect(await customerRow(ctx, id)).toEqual(before);
      expect([await auditRows(ctx.db), await jobRows(ctx.db)]).toEqual([audits, jobs]);
      // The same currency again (the console's form always sends it) is no change, and is saved.
      const renamed = await updateCustomer({
        ctx,
        input: { id: BigInt(id), patch: { currency: "EUR", name: "Ada L." } },
      });
      expect([renamed.currency, renamed.name]).toEqual(["EUR", "Ada L."]);
    });
  });

  it("refuses a change while the customer has only a payment (its credit) in its currency", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { id } = await createCustomer({ ctx, input: customerInput() });
      await recordPayment({ ctx, input: { customer_id: BigInt(id), amount: 500n, reference: "wire-1" } });
      const before = await customerRow(ctx, id);
      const audits = await auditRows(ctx.db);
      await expect(
        updateCustomer({ ctx, input: { id: BigInt(id), patch: { currency: "USD" } } }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        issues: [
          {
            field: "currency",
            message: expect.stringMatching(
              /^cannot change from EUR to USD: the customer has 1 payment and 2 ledger entries in EUR, which keep their currency,/,
            ),
          },
        ],
      });
      expect(await customerRow(ctx, id)).toEqual(before);
      expect(await auditRows(ctx.db)).toEqual(audits);
    });
  });

  it("changes it for a customer never invoiced or paid, and audits the change", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { id } = await createCustomer({ ctx, input: customerInput() });
      const moved = await updateCustomer({ ctx, input: { id: BigInt(id), patch: { currency: "USD" } } });
      expect(moved.currency).toBe("USD");
      expect((await customerRow(ctx, id)).currency_code).toBe("USD");
      const audit = (await auditRows(ctx.db)).at(-1)!;
      expect([audit.action, (audit.before as { currency: string }).currency, audit.after]).toEqual([
        "customer.update",
        "EUR",
        moved,
      ]);
    });
  });

  it("counts only what is in the current currency: a customer left with another currency's invoice may return to it", async () => {
    await withRollback(handle.db, async (ctx) => {
      // The state an unchecked change left behind: a USD customer whose draft is in EUR.
      const { id } = await createCustomer({ ctx, input: customerInput({ currency: "USD" }) });
      await insertInvoice(ctx.db, BigInt(id));
      const back = await updateCustomer({ ctx, input: { id: BigInt(id), patch: { currency: "EUR" } } });
      expect(back.currency).toBe("EUR");
      await expect(
        updateCustomer({ ctx, input: { id: BigInt(id), patch: { currency: "USD" } } }),
      ).rejects.toMatchObject({ code: "CONFLICT", issues: [{ field: "currency" }] });
    });
  });
});

describe("deleteCustomer", () => {
  it("deletes, audits customer.delete and enqueues a sync job that carries what SolusIO needs", async () => {
    await withRollback(handle.db, async (ctx) => {
      const customer = await createCustomer({ ctx, input: customerInput() });
      await deleteCustomer({ ctx, input: { id: BigInt(customer.id) } });
      await expect(getCustomer({ ctx, input: { id: BigInt(customer.id) } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      const deleted = { email: "ada@example.com", solusioUserId: null };
      expect(await jobRows(ctx.db)).toEqual([creationSyncJob(customer.id), syncJob(customer.id, deleted)]);
      const audit = (await auditRows(ctx.db))[1];
      expect([audit?.action, audit?.entity_id, audit?.before, audit?.after]).toEqual([
        "customer.delete",
        String(customer.id),
        customer,
        null,
      ]);
    });
  });

  it("refuses a customer with invoices (CONFLICT) and an unknown id (NOT_FOUND)", async () => {
    await withRollback(handle.db, async (ctx) => {
      const customer = await createCustomer({ ctx, input: customerInput() });
      await insertInvoice(ctx.db, BigInt(customer.id));
      await expect(deleteCustomer({ ctx, input: { id: BigInt(customer.id) } })).rejects.toMatchObject({
        code: "CONFLICT",
        message: `customer ${customer.id} has invoices, which must be kept; suspend or lock the customer instead`,
      });
      await expect(deleteCustomer({ ctx, input: { id: 999_999n } })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "customer 999999 not found",
      });
      expect(await getCustomer({ ctx, input: { id: BigInt(customer.id) } })).toEqual(customer);
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual(["customer.create"]);
    });
  });
});

describe("listCustomers", () => {
  it("filters by a literal e-mail substring, status and group, and pages", async () => {
    await withRollback(handle.db, async (ctx) => {
      const group = await createClientGroup({ ctx, input: { name: "Resellers", description: "" } });
      const a = await createCustomer({ ctx, input: customerInput({ email: "a_b@example.com" }) });
      const b = await createCustomer({
        ctx,
        input: customerInput({
          email: "axb@example.com",
          status: "locked",
          client_group_id: BigInt(group.id),
        }),
      });
      const list = (q: object) => listCustomers({ ctx, input: { page: 1, per_page: 50, ...q } });
      expect((await list({ email: "A_B" })).data.map((c) => c.id)).toEqual([a.id]);
      expect((await list({ status: "locked" })).data.map((c) => c.id)).toEqual([b.id]);
      expect((await list({ client_group_id: BigInt(group.id) })).data.map((c) => c.id)).toEqual([b.id]);
      const second = await list({ page: 2, per_page: 1 });
      expect([second.data.map((c) => c.id), second.meta]).toEqual([
        [b.id],
        { page: 2, per_page: 1, total: 2, last_page: 2, next_cursor: null },
      ]);
    });
  });
});

it("leaves the database as it was: the customer, audit and job rows are rolled back", async () => {
  const tables = ["customer", "audit_log", "job", "pricing_change"] as const;
  const before = await Promise.all(tables.map((t) => tableRows(handle.db, t)));
  await withRollback(handle.db, async (ctx) => {
    await createCustomer({ ctx, input: customerInput() });
    const inside = await Promise.all(tables.map((t) => tableRows(ctx.db, t)));
    expect(inside.map((rows, i) => rows.length - before[i]!.length)).toEqual([1, 1, 1, 1]);
  });
  expect(await Promise.all(tables.map((t) => tableRows(handle.db, t)))).toEqual(before);
});

// Until 2026-12-06 any two letters were taken ("XX"), though taxes are chosen by the country.
describe("a customer's country", () => {
  it("is refused unless ISO 3166-1 assigned it, on create and on a change", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const country of ["XX", "UK", "EU", "zz"])
        await expect(
          createCustomer({ ctx, input: customerInput({ email: `${country}@example.com`, country }) }),
        ).rejects.toMatchObject({
          code: "VALIDATION",
          issues: [
            {
              field: "country",
              message: expect.stringMatching(/is not an assigned ISO 3166-1 alpha-2 country code/),
            },
          ],
        });
      const made = await createCustomer({ ctx, input: customerInput({ country: "gb" }) });
      expect(made.country).toBe("GB");
      await expect(
        updateCustomer({ ctx, input: { id: made.id, patch: { country: "XX" } } }),
      ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "country" }] });
    });
  });

  it("stored before the check is still read, and saved with other changes until it is changed", async () => {
    await withRollback(handle.db, async (ctx) => {
      const made = await createCustomer({ ctx, input: customerInput() });
      await ctx.db.updateTable("customer").set({ country: "XX" }).where("id", "=", BigInt(made.id)).execute();
      expect((await getCustomer({ ctx, input: { id: made.id } })).country).toBe("XX");
      // The console's edit form sends the country again with the rest.
      const renamed = await updateCustomer({
        ctx,
        input: { id: made.id, patch: { name: "Ada L.", country: "XX" } },
      });
      expect(renamed).toMatchObject({ name: "Ada L.", country: "XX" });
      const fixed = await updateCustomer({ ctx, input: { id: made.id, patch: { country: "DE" } } });
      expect(fixed.country).toBe("DE");
    });
  });
});
