import type { KyselyPlugin } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { isServiceError } from "../../kernel/errors.ts";
import { portalCreditNotePdf } from "../../services/portal/portal-credit-notes.ts";
import { ownIssuedInvoiceId } from "../../services/portal/portal-invoices.ts";
import { getPortalPayment, portalCheckoutInvoice } from "../../services/portal/portal-payments.ts";
import {
  loggedInPortal,
  operatorContext,
  type PortalCustomer,
  portalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's own-record rule (src/services/portal/portal-customer.ts), for each of its four lookups: an id that
// is not the customer's own (another customer's, one that exists nowhere, a malformed one) gets the same
// NOT_FOUND, so a customer cannot tell another's record exists, and a malformed id is refused before any query.

const file = serverPerFile();
let a: PortalCustomer;
let b: PortalCustomer;
const B_CHECKOUT = "cs_test_misses_b_0123456789";

beforeAll(async () => {
  a = await portalCustomer(file.handle, { email: "amy@example.com", name: "Amy", dueDate: "2099-01-01" });
  b = await portalCustomer(file.handle, { email: "ben@example.com", name: "Ben", dueDate: "2099-01-01" });
  await file.handle.db
    .insertInto("checkout_session")
    .values({
      id: B_CHECKOUT,
      provider: "stripe",
      invoice_id: b.unpaidInvoiceId,
      customer_id: b.id,
      amount: 1234n,
      currency_code: "USD",
      url: `https://checkout.stripe.com/c/pay/${B_CHECKOUT}`,
    })
    .execute();
});

/** A's context, counting the statements its lookups send (a plugin sees every query Kysely builds). */
function amysContext(): { ctx: ServiceContext; queries: () => number } {
  let count = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      count++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  const base = operatorContext(file.handle);
  return {
    ctx: { ...base, db: base.db.withPlugin(counter), actor: actors.customer(a.id) },
    queries: () => count,
  };
}

interface Lookup {
  name: string;
  find: (ctx: ServiceContext, id: string) => Promise<unknown>;
  own: () => string;
  anothers: () => string;
  missing: string;
  malformed: string;
}

const LOOKUPS: Lookup[] = [
  {
    name: "ownIssuedInvoiceId",
    find: (ctx, id) => ownIssuedInvoiceId(ctx, id),
    own: () => a.unpaidInvoiceId,
    anothers: () => b.unpaidInvoiceId,
    missing: "inv_0123456789abcdef",
    malformed: "inv_NOT-HEX",
  },
  {
    name: "getPortalPayment",
    find: (ctx, id) => getPortalPayment({ ctx, input: { id } }),
    own: () => a.paymentId,
    anothers: () => b.paymentId,
    missing: "pay_0123456789abcdef",
    malformed: "pay_zz",
  },
  {
    name: "portalCreditNotePdf",
    find: (ctx, id) => portalCreditNotePdf({ ctx, input: { id } }),
    own: () => a.creditNoteId,
    anothers: () => b.creditNoteId,
    missing: "cn_0123456789abcdef",
    malformed: "cn_zz",
  },
  {
    name: "portalCheckoutInvoice",
    find: (ctx, session_id) => portalCheckoutInvoice({ ctx, input: { session_id } }),
    own: () => "",
    anothers: () => B_CHECKOUT,
    missing: "cs_test_missing_0123456789",
    malformed: "cs_not a session",
  },
];

/** What a lookup refused with, as the customer is told it: the code and the message. */
async function refusal(find: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await find().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(error)) throw new Error(`expected a ServiceError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe("the portal's own-record lookups", () => {
  for (const lookup of LOOKUPS) {
    it(`${lookup.name}: another customer's id and a malformed one answer as a missing one, the malformed before any query`, async () => {
      const { ctx, queries } = amysContext();
      const missing = await refusal(() => lookup.find(ctx, lookup.missing));
      expect(missing.code).toBe("NOT_FOUND");
      expect(await refusal(() => lookup.find(ctx, lookup.anothers())), "another customer's").toEqual(missing);
      const before = queries();
      expect(before, "the lookups' queries are counted").toBeGreaterThan(0);
      expect(await refusal(() => lookup.find(ctx, lookup.malformed)), "malformed").toEqual(missing);
      expect(queries(), "queries for a malformed id").toBe(before);
    });
  }

  it("still finds the customer's own records, so the misses above are about whose they are", async () => {
    const { ctx } = amysContext();
    for (const lookup of LOOKUPS.filter((l) => l.own() !== ""))
      await expect(lookup.find(ctx, lookup.own()), lookup.name).resolves.toBeTruthy();
  });

  it("answers the same 404 page for each on the portal's routes", async () => {
    const client = await loggedInPortal(file.server, a);
    const routes: { path: (id: string) => string; lookup: Lookup; method?: "POST" }[] = [
      { path: (id) => `/portal/invoices/${id}`, lookup: LOOKUPS[0]! },
      { path: (id) => `/portal/invoices/${id}/pdf`, lookup: LOOKUPS[0]! },
      { path: (id) => `/portal/invoices/${id}/pay`, lookup: LOOKUPS[0]!, method: "POST" },
      { path: (id) => `/portal/payments/${id}`, lookup: LOOKUPS[1]! },
      { path: (id) => `/portal/credit-notes/${id}/pdf`, lookup: LOOKUPS[2]! },
      {
        path: (id) => `/portal/checkout/return?session_id=${encodeURIComponent(id)}`,
        lookup: LOOKUPS[3]!,
      },
    ];
    for (const { path, lookup, method } of routes) {
      const answer = (id: string) =>
        method === "POST" ? client.submit("/portal/invoices", path(id)) : client.request("GET", path(id));
      const missing = await answer(lookup.missing);
      expect(missing.status, path(lookup.missing)).toBe(404);
      for (const id of [lookup.anothers(), lookup.malformed]) {
        const other = await answer(id);
        expect(other.status, path(id)).toBe(404);
        expect(other.text, path(id)).toBe(missing.text);
      }
    }
  });
});
