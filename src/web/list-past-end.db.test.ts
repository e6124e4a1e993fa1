import { readdirSync, readFileSync } from "node:fs";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../test/helpers/server-per-file.ts";
import { encodeCursor } from "../kernel/list-cursor.ts";
import { createStaffPerRole, PageClient, textOf } from "./console/pricing-test-client.ts";
import {
  loggedInPortal,
  namedPortalCustomer,
  type PortalClient,
  type PortalCustomer,
} from "./portal/testing/portal-fixtures.ts";

// A list page past the list's end (a page number past the last, a stale bookmark's cursor) says so and links
// the list's first page with its filters kept, on every list of either face that pages; until 2026-12-07 most
// said "No … match" as if the filters matched nothing, and the portal's linked its first page without them.

const PAST_END = "This page is past the end of the list";
/** What a list says when it has nothing, or nothing matching: never on a page past its end. */
const NOTHING = /No [a-zA-Z ]+ (match|matches|yet)\b|No job has failed|No payments\b|None( so far)?\./;

const file = serverPerFile();
let owner: PageClient;
let portal: PortalClient;
let ada: PortalCustomer;
let runId: string;

beforeAll(async () => {
  await createStaffPerRole(file.handle, ["owner"]);
  owner = await new PageClient(file.server.url).logIn("owner@example.com");
  ada = await namedPortalCustomer(file.handle, "Ada");
  portal = await loggedInPortal(file.server, ada);
  const run = await sql<{ id: string }>`
    INSERT INTO billing_run (id, period, period_start, period_end, source, state, actor, started_at, heartbeat_at)
    VALUES ('run_9e', '2026-09', now(), now() + interval '1 day', 'solusio', 'completed', 'test', now(), now())
    RETURNING id`.execute(file.handle.db);
  runId = run.rows[0]!.id;
}, 60_000);

/** A cursor below every row of the list: what a bookmark names once the rows after it are gone. */
const pastEveryRow = (list: string, filters: Record<string, unknown>, key: string[]) =>
  encodeURIComponent(encodeCursor(list, filters, key));
const BEFORE_ALL = "2000-01-01T00:00:00.000000Z";
/** The statement's cursor list (portal-statement.ts): its key is the oldest ledger event shown. */
const STATEMENT_LIST = "portal-statement";

/** Each list page that pages, at an address past its end, with the first page its link must name. */
function pastEndPages(): { face: "console" | "portal"; path: string; first: string }[] {
  const c = (path: string, first: string) => ({ face: "console" as const, path, first });
  const p = (path: string, first: string) => ({ face: "portal" as const, path, first });
  const pricing = ["currencies", "client-groups", "discounts", "plans", "tax-rules"];
  return [
    c("/console/invoices?currency=USD&page=99", "/console/invoices?currency=USD"),
    c("/console/customers?q=Ada&page=99", "/console/customers?q=Ada"),
    c("/console/payments?currency=USD&page=99", "/console/payments?currency=USD"),
    c(
      `/console/payments?currency=USD&cursor=${pastEveryRow("payments", { currency: "USD" }, [BEFORE_ALL, "pay_0"])}&page=2`,
      "/console/payments?currency=USD",
    ),
    c(`/console/credit-notes?customer_id=${ada.id}&page=99`, `/console/credit-notes?customer_id=${ada.id}`),
    c("/console/audit-log?entity=customer&page=99", "/console/audit-log?entity=customer"),
    c("/console/call-log?failed=false&page=99", "/console/call-log?failed=false"),
    c("/console/jobs?page=99", "/console/jobs"),
    c(`/console/jobs?cursor=${pastEveryRow("failed_jobs", {}, [BEFORE_ALL, "1"])}&page=2`, "/console/jobs"),
    c("/console/api-keys?page=99", "/console/api-keys"),
    c("/console/billing-runs?page=99", "/console/billing-runs"),
    c(`/console/billing-runs/${runId}?page=99`, `/console/billing-runs/${runId}`),
    ...pricing.map((slug) => c(`/console/pricing/${slug}?page=99`, `/console/pricing/${slug}`)),
    c("/console/settings?page=99", "/console/settings"),
    c(`/console/invoices/${ada.invoiceId}?payments_page=99`, `/console/invoices/${ada.invoiceId}`),
    c(`/console/invoices/${ada.invoiceId}?credit_notes_page=99`, `/console/invoices/${ada.invoiceId}`),
    c(`/console/customers/${ada.id}?payments_page=99`, `/console/customers/${ada.id}`),
    p("/portal/invoices?status=open&page=99", "/portal/invoices?status=open"),
    p("/portal/credit-notes?settled=credit&page=99", "/portal/credit-notes?settled=credit"),
    p("/portal/payments?method=manual&page=99", "/portal/payments?method=manual"),
    p(
      `/portal/payments?cursor=${pastEveryRow("payments", { customer_id: ada.id }, [BEFORE_ALL, "pay_0"])}&page=2`,
      "/portal/payments",
    ),
    p(`/portal/statement?cursor=${pastEveryRow(STATEMENT_LIST, {}, ["1"])}&page=2`, "/portal/statement"),
  ];
}

describe("a list page past the list's end", () => {
  it("says it is past the end and links the list's first page with its filters, on every list that pages", async () => {
    for (const { face, path, first } of pastEndPages()) {
      const answer = await (face === "console" ? owner : portal).get(path);
      expect(answer.status, `${path}: ${textOf(answer.text).slice(-300)}`).toBe(200);
      expect(textOf(answer.text), path).toContain(PAST_END);
      expect(textOf(answer.text), path).not.toMatch(NOTHING);
      const links = [...answer.text.matchAll(/<a href="([^"]+)">First page\b/g)].map((m) =>
        m[1]!.replace(/&amp;/g, "&"),
      );
      expect(links, path).toContain(first);
    }
  }, 120_000);

  it("is said by every template that draws a pager, so a new list cannot miss it", () => {
    const dir = new URL("./templates/", import.meta.url);
    const paging = readdirSync(dir).filter((f) =>
      readFileSync(new URL(f, dir), "utf8").includes('"./pager"'),
    );
    expect(paging.length).toBeGreaterThan(10);
    for (const template of paging)
      expect(readFileSync(new URL(template, dir), "utf8"), template).toMatch(
        /"\.\/(list-past-end|console-list-empty|portal-list-empty)"/,
      );
  });
});
