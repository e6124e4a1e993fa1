import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { runBilling } from "../runs/run-billing.ts";
import { billingContext, createCustomers, section4Usage } from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { getInvoice } from "./get-invoice.ts";
import { listInvoices } from "./list-invoices.ts";

// A customer acting for itself (the portal to come) reads only its own invoices, whatever ids it sends;
// operators read any.

let handle: DatabaseHandle;
let ada: bigint;
let bob: bigint;
beforeAll(async () => {
  handle = await createTestDatabase();
  [ada, bob] = (await createCustomers(handle, [
    { email: "ada@example.com" },
    { email: "bob@example.com" },
  ])) as [bigint, bigint];
  await runBilling({
    ctx: billingContext(handle),
    input: { period: "2026-10" },
    options: { source: new MemoryUsageSource([...section4Usage(ada, 1), ...section4Usage(bob, 10)]) },
  });
});
afterAll(async () => handle?.close());

const as = (actor: ReturnType<typeof actors.customer>) => ({ ...billingContext(handle), actor });
const page = { page: 1, per_page: 50 };

describe("invoices as a customer", () => {
  it("lists only the customer's own invoices, even when it asks for another customer's", async () => {
    const own = await listInvoices({ ctx: as(actors.customer(ada)), input: page });
    expect(own.data.map((i) => BigInt(i.customer_id))).toEqual([ada]);
    await expect(
      listInvoices({ ctx: as(actors.customer(ada)), input: { ...page, customer_id: bob } }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const all = await listInvoices({ ctx: billingContext(handle), input: page });
    expect(all.data).toHaveLength(2);
  });

  it("reads its own invoice and gets NOT_FOUND for another's", async () => {
    const all = await listInvoices({ ctx: billingContext(handle), input: page });
    const bobs = all.data.find((i) => BigInt(i.customer_id) === bob)!;
    const adas = all.data.find((i) => BigInt(i.customer_id) === ada)!;
    expect((await getInvoice({ ctx: as(actors.customer(ada)), input: { id: adas.id } })).id).toBe(adas.id);
    await expect(getInvoice({ ctx: as(actors.customer(ada)), input: { id: bobs.id } })).rejects.toMatchObject(
      {
        code: "NOT_FOUND",
      },
    );
    await expect(
      getInvoice({ ctx: as(actors.anonymous() as any), input: { id: adas.id } }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });
});
