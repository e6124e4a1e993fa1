import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import type { RouteEntry } from "../../http/access.ts";
import { pdfText } from "../../billing/documents/testing/pdf-text.ts";
import { PortalClient, type PortalCustomer, portalCustomer } from "./testing/portal-fixtures.ts";

// A customer sees only its own records (issue 12 item 3). Logged in as A, every route of the live route table
// whose access is "customer" is tried with B's ids in place of every path parameter (and B's ids in the
// query and form besides): a route that names a record answers 404 — never 403, which would confirm that
// the id exists — and no answer carries any of B's data. A new portal route with a parameter this test
// cannot fill fails the test until it is added here.

const file = serverPerFile();
let a: PortalCustomer;
let b: PortalCustomer;
const B_CHECKOUT = "cs_test_isolation_b_0123456789";

beforeAll(async () => {
  a = await portalCustomer(file.handle, {
    email: "alice@example.com",
    name: "Alice Able",
    dueDate: "2099-01-01",
  });
  b = await portalCustomer(file.handle, {
    email: "bob@example.com",
    name: "Bob Baker",
    dueDate: "2099-01-01",
  });
  await file.handle.db
    .insertInto("checkout_session")
    .values({
      id: B_CHECKOUT,
      provider: "stripe",
      invoice_id: b.unpaidInvoiceId,
      customer_id: b.id,
      amount: 1234n,
      currency_code: "USD",
      url: "https://checkout.stripe.com/c/pay/cs_test_isolation_b_0123456789",
    })
    .execute();
});

/** Everything of B's that must never reach A: ids, numbers, name, e-mail, payment reference. */
function bData(): string[] {
  return [
    b.email,
    "Bob Baker",
    b.invoiceId,
    b.unpaidInvoiceId,
    b.invoiceNumber,
    b.paymentId,
    `BT-${b.id}`,
    b.creditNoteId,
    b.creditNoteNumber,
    B_CHECKOUT,
  ];
}

/** B's id for a route's path parameter, chosen by the segment before it. */
function bIdFor(url: string, param: string): string {
  const before = url.split(`/:${param}`)[0]!.split("/").at(-1);
  const ids: Record<string, string> = {
    invoices: b.unpaidInvoiceId,
    "credit-notes": b.creditNoteId,
    payments: b.paymentId,
  };
  const id = before ? ids[before] : undefined;
  if (!id) throw new Error(`no id of B for :${param} of ${url}: add one to portal-isolation.db.test.ts`);
  return id;
}

/**
 * The portal lists' filters with values B's rows match (the fixture's invoices are of 2026-09 and 2026-10, its
 * note and bank transfer made today, in the billing time zone: UTC).
 */
const MATCHING_B = `status=open&period=2026-09&month=${new Date().toISOString().slice(0, 7)}&method=bank_transfer`;

/** Routes that end the session go last: they would log A out of the routes after them. */
const ENDS_SESSION = (r: RouteEntry) => /logout/.test(r.url);

describe("portal isolation", () => {
  it("answers 404 with nothing of B for every customer route tried with B's ids", async () => {
    const table = (file.server.app as unknown as { routeTable: RouteEntry[] }).routeTable;
    const routes = table
      .filter((r) => r.access === "customer" && r.method !== "HEAD")
      .sort((x, y) => Number(ENDS_SESSION(x)) - Number(ENDS_SESSION(y)));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const bName = async () =>
      (
        await file.handle.db
          .selectFrom("customer")
          .select("name")
          .where("id", "=", b.id)
          .executeTakeFirstOrThrow()
      ).name;
    const tried: string[] = [];

    for (const route of routes) {
      const client = new PortalClient(file.server.url);
      await client.logIn(a.email);
      const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      let path = route.url;
      for (const p of params) path = path.replace(`:${p}`, bIdFor(route.url, p));
      // B's ids in the query and the form as well: a page must not take a record or customer from them. And
      // the lists' filters, each matching B's rows: a filter narrows A's own rows, never reaches B's.
      const query = `?session_id=${B_CHECKOUT}&customer_id=${b.id}&id=${b.unpaidInvoiceId}&${MATCHING_B}`;
      const form = {
        customer_id: String(b.id),
        id: b.unpaidInvoiceId,
        invoice_id: b.unpaidInvoiceId,
        name: "Hijacked",
      };
      const answer =
        route.method === "GET"
          ? await client.request("GET", path + query)
          : await client.submit("/portal", path + query, form);
      tried.push(`${route.method} ${route.url} → ${answer.status}`);

      const names = params.length > 0 || route.url === "/portal/checkout/return";
      if (names) expect(answer.status, `${route.method} ${route.url}`).toBe(404);
      else expect(answer.status, `${route.method} ${route.url}`).not.toBe(403);
      const text =
        answer.type.startsWith("text/") || answer.type.includes("json") ? answer.body.toString("utf8") : "";
      for (const secret of bData())
        expect(
          text.includes(secret) || (answer.location ?? "").includes(secret),
          `${route.url} shows ${secret}`,
        ).toBe(false);
      if (answer.type === "application/pdf") {
        // A route naming a record sends no PDF for B's id; one naming none (the statement) sends A's own.
        if (names) throw new Error(`${route.url} sent a PDF for B's id`);
        const words = await pdfText(answer.body);
        for (const secret of bData())
          expect(words.includes(secret), `${route.url}'s PDF shows ${secret}`).toBe(false);
      }
      expect(await bName(), `${route.method} ${route.url} changed B`).toBe("Bob Baker");
    }
    // What was walked, for the record: every customer route, each with B's ids.
    expect(tried.some((t) => t.startsWith("GET /portal/invoices/:id/pdf"))).toBe(true);
    expect(tried.some((t) => t.startsWith("POST /portal/invoices/:id/pay"))).toBe(true);
    expect(tried.some((t) => t.startsWith("GET /portal/credit-notes/:id/pdf"))).toBe(true);
    expect(tried.some((t) => t.startsWith("GET /portal/payments/:id"))).toBe(true);
    expect(tried).toContain("GET /portal/statement.pdf → 200");
    expect(tried).toContain("GET /portal/statement.csv → 200");
  });

  it("still shows A its own records, so the 404s above are about B and not broken pages", async () => {
    const client = new PortalClient(file.server.url);
    await client.logIn(a.email);
    expect((await client.request("GET", `/portal/invoices/${a.unpaidInvoiceId}`)).status).toBe(200);
    expect((await client.request("GET", `/portal/credit-notes/${a.creditNoteId}/pdf`)).type).toBe(
      "application/pdf",
    );
    expect((await client.request("GET", `/portal/payments/${a.paymentId}`)).status).toBe(200);
    expect((await client.request("GET", "/portal/statement")).body.toString("utf8")).toContain(`BT-${a.id}`);
    // The filters that found nothing of B's find A's own rows.
    const lists = ["/portal/invoices", "/portal/credit-notes", "/portal/payments"];
    const [invoices, notes, payments] = await Promise.all(
      lists.map((list) => client.request("GET", `${list}?${MATCHING_B}`)),
    );
    expect(invoices!.body.toString("utf8")).toContain(a.invoiceNumber);
    expect(notes!.body.toString("utf8")).toContain(a.creditNoteNumber);
    expect(payments!.body.toString("utf8")).toContain(`BT-${a.id}`);
  });
});
