import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// The console's invoice, customer, audit log, call log and failed-jobs lists walk by cursor: Next carries the list's next_cursor (and the page
// number, only to label the page), a page reached so offers First page, and the rows are those of the page
// by number. A cursor that is not the list's is told on the page with a 400. Only the first page counts
// the list ("Page 1 of 4 (165 in all)"); a page reached by cursor says "Page 2".

let handle: DatabaseHandle;
let server: TestServer;
let owner: PageClient;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await createStaffPerRole(handle, ["owner"]);
  owner = await new PageClient(server.url).logIn("owner@example.com");
  const run = (query: string) => sql.raw(query).execute(handle.db);
  await run(`
    INSERT INTO customer (email, name, country, currency_code)
    SELECT 'walk' || n || '@cursor.test', 'Walker ' || n, 'GB', 'USD' FROM generate_series(1, 110) n`);
  await run(`
    INSERT INTO billing_run (id, period, period_start, period_end, source, state, actor, started_at, heartbeat_at)
    VALUES ('run_c1', '2026-10', now(), now() + interval '1 day', 'solusio', 'completed', 'test', now(), now())`);
  // Every customer's October invoice, and for every other one a void invoice released for it: 165 in one
  // period, where period and customer tie and the invoice id orders them.
  await run(`
    INSERT INTO invoice (id, customer_id, period, period_start, period_end, status, number, number_sequence,
      number_value, customer_name, customer_email, customer_country, currency_code, currency,
      base_token_unit_cost, tax_compound, tax_exempt, tokens, subtotal, discount_total, net, tax_total, total,
      fingerprint, billing_run_id, issue_date, due_date, voided_at, released_at)
    SELECT 'inv_' || md5(c.id || '-' || v), c.id, '2026-10', now(), now() + interval '1 day',
           CASE WHEN v = 1 THEN 'void' ELSE 'finalized' END, 'CW-' || c.id || '-' || v, 'CW', 10 * c.id + v,
           c.name, c.email, 'GB', 'USD',
           '{"code":"USD","exponent":2,"displayPrefix":"$","displaySuffix":"","thousandsSeparator":",","decimalsSeparator":"."}',
           0.001, false, false, 1000, 100, 0, 100, 0, 100, 'f', 'run_c1',
           '2026-10-01', '2026-10-15', CASE WHEN v = 1 THEN now() END, CASE WHEN v = 1 THEN now() END
    FROM customer c, generate_series(0, 1) v WHERE v = 0 OR c.id % 2 = 0`);
  // A large provider's logs, by the filters' indexes: 110 audit entries of one subject kind, 110 calls of one
  // status (other files' entries and calls share the database; the filters keep them out).
  await run(`
    INSERT INTO audit_log (actor, action, entity, entity_id)
    SELECT 'cli', 'walk.test', 'walk_entry', 'walk-entry-' || n FROM generate_series(1, 110) n`);
  await run(`
    INSERT INTO solusio_call (method, path, status, duration_ms, attempt)
    SELECT 'GET', '/walk/call/' || n, 418, 1, 1 FROM generate_series(1, 110) n`);
  // 110 jobs that failed for good, in 7 instants to the microsecond: the failure's time ties, the id decides.
  await run(`
    INSERT INTO job (kind, ordering_key, payload, status, attempts, last_error, updated_at)
    SELECT 'walk.test', 'walk:' || n, '{}', 'failed', 1, 'walk-job-' || n,
           timestamptz '2026-11-20 10:00:00.123456+00' - (n % 7) * interval '1 hour 0.000001 second'
    FROM generate_series(1, 110) n`);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** A pager link's address as the page writes it (rel="next"), or undefined. */
function link(html: string, label: string): string | undefined {
  const found = new RegExp(`<a href="([^"]+)"(?: rel="[a-z]+")?>${label}</a>`).exec(html)?.[1];
  return found?.replace(/&amp;/g, "&");
}

async function page(path: string) {
  const r = await owner.get(path);
  expect(r.status, `${path}: ${textOf(r.text).slice(-200)}`).toBe(200);
  return r.text;
}

/** Each page's rows by following Next from the first page, checked against the same page by number. */
async function walk(first: string, rows: RegExp): Promise<string[]> {
  const seen: string[] = [];
  let path: string | undefined = first;
  for (let n = 1; path !== undefined; n++) {
    const html = await page(path);
    const shown = textOf(html).match(rows) ?? [];
    expect(shown.length).toBeGreaterThan(0);
    // The first page, by number, counts the list; a page reached by cursor does not (docs/performance.md).
    if (n === 1) expect(textOf(html)).toMatch(/Page 1 of \d+ \(\d+ in all\)/);
    else {
      expect(textOf(html)).toContain(`Page ${n}`);
      expect(textOf(html)).not.toMatch(/Page \d+ of|in all/);
    }
    if (n > 1) {
      expect(path).toMatch(/[?&]cursor=/);
      expect(link(html, "First page")).toBe(first);
      const byNumber = await page(`${first}${first.includes("?") ? "&" : "?"}page=${n}`);
      expect(textOf(byNumber).match(rows)).toEqual(shown);
    } else expect(link(html, "First page")).toBeUndefined();
    seen.push(...shown);
    path = link(html, "Next");
    expect(n).toBeLessThan(10);
  }
  return seen;
}

describe("walking the console's lists", () => {
  it("invoices: Next follows the cursor, across ties of period and customer, keeping the filters", async () => {
    const all = await walk("/console/invoices", /CW-\d+-[01]\b/g);
    expect(all).toHaveLength(165);
    expect(new Set(all).size).toBe(165);
    const finalized = await walk("/console/invoices?status=finalized", /CW-\d+-[01]\b/g);
    expect(finalized).toHaveLength(110);
  });

  it("customers: Next follows the cursor", async () => {
    const all = await walk("/console/customers", /walk\d+@cursor\.test/g);
    expect(all).toHaveLength(110);
    expect(new Set(all).size).toBe(110);
  });

  // Until 2026-12-07 both logs paged by number (an OFFSET): Next had no cursor.
  it("audit log: Next follows the cursor, keeping the filter", async () => {
    const all = await walk("/console/audit-log?entity=walk_entry", /walk-entry-\d+/g);
    expect(all).toHaveLength(110);
    expect(new Set(all).size).toBe(110);
    // Newest first: the last inserted entry leads.
    expect(all[0]).toBe("walk-entry-110");
  });

  it("call log: Next follows the cursor, keeping the filter", async () => {
    const all = await walk("/console/call-log?status=418", /\/walk\/call\/\d+/g);
    expect(all).toHaveLength(110);
    expect(new Set(all).size).toBe(110);
    expect(all[0]).toBe("/walk/call/110");
  });

  // Until 2026-12-07 the failed jobs paged by number (an OFFSET past every later failure).
  it("failed jobs: Next follows the cursor, across ties of the failure's instant", async () => {
    const all = await walk("/console/jobs", /walk-job-\d+/g);
    expect(all).toHaveLength(110);
    expect(new Set(all).size).toBe(110);
  });

  it("tells a cursor that is not the list's on the page, with a 400", async () => {
    const bad = await owner.get("/console/invoices?cursor=abc");
    expect(bad.status).toBe(400);
    expect(textOf(bad.text)).toMatch(/cursor: must be a cursor/i);
    const next = link(await page("/console/customers"), "Next")!;
    const other = await owner.get(`${next}&status=locked`);
    expect(other.status).toBe(400);
    expect(textOf(other.text)).toMatch(/other filters/);
    const calls = link(await page("/console/call-log?status=418"), "Next")!;
    const failed = await owner.get(calls.replace("status=418", "status=500"));
    expect(failed.status).toBe(400);
    expect(textOf(failed.text)).toMatch(/other filters/);
    // A cursor of one list is not another's.
    const cursor = new URL(calls, server.url).searchParams.get("cursor")!;
    const audit = await owner.get(
      `/console/audit-log?entity=walk_entry&cursor=${encodeURIComponent(cursor)}`,
    );
    expect(audit.status).toBe(400);
    expect(textOf(audit.text)).toMatch(/another list/);
    const jobs = await owner.get(`/console/jobs?cursor=${encodeURIComponent(cursor)}`);
    expect(jobs.status).toBe(400);
    expect(textOf(jobs.text)).toMatch(/cursor: was made by another list/);
  });
});
