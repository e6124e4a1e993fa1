import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteEntry } from "../../http/access.ts";
import { datesOffRule, datesOutsideTime } from "../page-time.ts";
import { type BilledWorld, finishedRun, octoberToBill } from "./billing-run-test-fixture.ts";
import { PageClient } from "./pricing-test-client.ts";

// The date rule (page-time.ts) on every console page a staff member opens, walked from the route table with
// a billed October behind it: no date against the rule, and each date or time in a <time datetime> element.

let world: BilledWorld;
let owner: PageClient;
const ids: Record<string, string> = {};

beforeAll(async () => {
  world = await octoberToBill();
  const started = await world.server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
  await finishedRun(world.server, started.body.data.id);
  ids["billing-runs"] = started.body.data.id;
  const invoice = (await world.server.api("GET", "/api/v1/invoices?period=2026-10")).body.data[0];
  ids["invoices"] = invoice.id;
  ids["customers"] = String(world.section4);
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await world?.close();
});

/**
 * A page's visible text: its markup, style and scripts left out, and the stored records shown verbatim in
 * <pre> (the audit log's and the call log's JSON, with their ISO timestamps as stored).
 */
function visibleText(html: string): string {
  return html
    .replace(/<(style|script|pre)\b[^>]*>[\s\S]*?<\/\1>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;|&#160;/g, " ");
}

/** Not pages: files, scripts, and the sign-in steps (no staff member yet). */
const NOT_A_PAGE = /\.(csv|pdf|js)$|\/pdf$|\/login|\/logout/;

describe("dates on the console's pages", () => {
  it("are written one way on every page, each in a <time datetime> element", async () => {
    const table = (world.server.app as unknown as { routeTable: RouteEntry[] }).routeTable;
    const routes = table.filter(
      (r) => r.method === "GET" && r.url.startsWith("/console") && !NOT_A_PAGE.test(r.url),
    );
    const offRule: string[] = [];
    const outside: string[] = [];
    const walked: string[] = [];
    for (const route of routes) {
      const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const resource = route.url.split("/")[2] ?? "";
      if (params.length > 0 && ids[resource] === undefined) continue;
      const path = route.url.replace(/:\w+/g, ids[resource] ?? "");
      const page = await owner.get(path);
      walked.push(`${path} ${page.status}`);
      offRule.push(...datesOffRule(visibleText(page.text)).map((date) => `${path}: ${date}`));
      outside.push(...datesOutsideTime(page.text).map((date) => `${path}: ${date}`));
    }
    // Pages that need a query to open (a refund's amount, a status to set) answer 400 without one.
    expect(walked.filter((w) => w.endsWith(" 200")).length).toBeGreaterThanOrEqual(30);
    expect(offRule).toEqual([]);
    expect(outside).toEqual([]);
    // The scans find what they are for: a long date, and a date outside a <time> element.
    expect(datesOffRule("due 20 December 2026")).toEqual(["20 December 2026"]);
    expect(datesOutsideTime('<p>2026-12-20</p><time datetime="2026-12-21">2026-12-21</time>')).toEqual([
      "2026-12-20",
    ]);
    expect(datesOutsideTime('<time datetime="2026-12-20">2026-12-21</time>')).toHaveLength(1);
  });
});
