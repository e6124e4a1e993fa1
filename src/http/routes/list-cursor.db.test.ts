import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { encodeCursor } from "../../kernel/list-cursor.ts";

// Walking the admin API's long lists by cursor (meta.next_cursor) returns exactly the rows, in the order, that
// walking them by page number does: across ties of the sort key (a void invoice and its reissue share period
// and customer; payments share paid_at to the microsecond), with filters. A cursor that is not one this list
// gave under these filters is a 400 naming `cursor`, never a 500.

let handle: DatabaseHandle;
let server: TestServer;
let group: string;
let someCustomer: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  const run = (query: string) => sql.raw(query).execute(handle.db);
  const g = await sql<{ id: string }>`
    INSERT INTO client_group (name) VALUES ('cursor walk') RETURNING id::text AS id`.execute(handle.db);
  group = g.rows[0]!.id;
  // 23 customers: every third in the group, every fifth suspended.
  await run(`
    INSERT INTO customer (email, name, country, currency_code, status, client_group_id)
    SELECT 'walk' || n || '@cursor.test', 'Walker ' || n, 'GB', 'USD',
           CASE WHEN n % 5 = 0 THEN 'suspended' ELSE 'active' END,
           CASE WHEN n % 3 = 0 THEN ${group} END
    FROM generate_series(1, 23) n`);
  const some = await sql<{ id: string }>`
    SELECT min(id)::text AS id FROM customer WHERE email LIKE '%@cursor.test'`.execute(handle.db);
  someCustomer = some.rows[0]!.id;
  await run(`
    INSERT INTO billing_run (id, period, period_start, period_end, source, state, actor, started_at, heartbeat_at)
    SELECT 'run_c' || p, '2026-0' || p, now(), now() + interval '1 day', 'solusio', 'completed', 'test', now(), now()
    FROM generate_series(1, 3) p`);
  // Three periods of each customer's invoice; every other customer's also has a void one released for a
  // reissue, so period and customer tie and the invoice id decides (ids made so that it is not insertion order).
  await run(`
    INSERT INTO invoice (id, customer_id, period, period_start, period_end, status, number, number_sequence,
      number_value, customer_name, customer_email, customer_country, currency_code, currency,
      base_token_unit_cost, tax_compound, tax_exempt, tokens, subtotal, discount_total, net, tax_total, total,
      fingerprint, billing_run_id, issue_date, due_date, voided_at, released_at)
    SELECT 'inv_' || md5(c.id || '-' || p || '-' || v), c.id, '2026-0' || p, now(), now() + interval '1 day',
           CASE WHEN v = 1 THEN 'void' WHEN c.id % 4 = 0 THEN 'paid' ELSE 'finalized' END,
           'CW-' || c.id || '-' || p || '-' || v, 'CW', 1000 * p + 10 * c.id + v, c.name, c.email, 'GB', 'USD', '{}',
           0.001, false, false, 1000, 100, 0, 100, 0, 100, 'f', 'run_c' || p, '2026-0' || p || '-01',
           '2026-0' || p || '-15', CASE WHEN v = 1 THEN now() END, CASE WHEN v = 1 THEN now() END
    FROM customer c, generate_series(1, 3) p, generate_series(0, 1) v
    WHERE c.email LIKE '%@cursor.test' AND (v = 0 OR c.id % 2 = 0)`);
  // 40 payments in 8 instants that hold 5 each, to the microsecond: paid_at ties, the id decides.
  await run(`
    INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, paid_at)
    SELECT 'pay_' || md5('walk' || n), c.id, 'USD', 100 + n, 'bank_transfer', 'CW-P-' || n,
           timestamptz '2026-11-20 10:00:00.123456+00' - (n % 8) * interval '1 hour 0.000001 second'
    FROM generate_series(1, 40) n
    JOIN customer c ON c.email = 'walk' || (n % 3 + 1) || '@cursor.test'`);
  // 30 audit rows and 30 SolusIO calls (every third failed), for the logs' walks.
  await run(`
    INSERT INTO audit_log (actor, action, entity, entity_id, before, after)
    SELECT 'test', 'update', 'cursor_walk', n::text, NULL, NULL FROM generate_series(1, 30) n`);
  await run(`
    INSERT INTO solusio_call (method, path, status, duration_ms, attempt, request_body, error)
    SELECT 'GET', '/cursor-walk/' || n, CASE WHEN n % 3 = 0 THEN 503 ELSE 200 END, n, 1, NULL,
           CASE WHEN n % 3 = 0 THEN 'unavailable' END
    FROM generate_series(1, 30) n`);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

interface Answer {
  data: { id: string | number }[];
  meta: { page: number | null; total: number | null; last_page: number | null; next_cursor: string | null };
}

async function get(path: string): Promise<Answer> {
  const r = await server.api("GET", path);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function refusal(path: string): Promise<string> {
  const r = await server.api("GET", path);
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.body.error.code).toBe("VALIDATION");
  return r.body.error.message;
}

/** The ids of every page by number, and by following next_cursor from the first page. */
async function bothWalks(path: string, filters: string) {
  const base = `${path}?per_page=4${filters}`;
  const first = await get(base);
  const byPage = [...first.data];
  for (let page = 2; page <= first.meta.last_page!; page++)
    byPage.push(...(await get(`${base}&page=${page}`)).data);
  const byCursor = [...first.data];
  let next = first.meta.next_cursor;
  let steps = 0;
  while (next !== null) {
    const answer = await get(`${base}&cursor=${encodeURIComponent(next)}`);
    expect(answer.meta.page).toBeNull();
    byCursor.push(...answer.data);
    next = answer.meta.next_cursor;
    expect(++steps).toBeLessThan(100);
  }
  return { byPage: byPage.map((r) => r.id), byCursor: byCursor.map((r) => r.id), total: first.meta.total! };
}

async function expectSameWalk(path: string, filters = "") {
  const { byPage, byCursor, total } = await bothWalks(path, filters);
  expect(byPage.length).toBe(total);
  expect(new Set(byPage).size).toBe(total);
  expect(byCursor).toEqual(byPage);
  return byPage;
}

describe("walking a list by cursor", () => {
  it("invoices: the same rows in the same order as by page, across ties of period and customer", async () => {
    const all = await expectSameWalk("/api/v1/invoices", "");
    expect(all.length).toBeGreaterThan(23 * 3);
    // The fixtures hold ties on (period, customer) that page boundaries of 4 cross.
    const keys = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM (SELECT 1 FROM invoice GROUP BY period, customer_id HAVING count(*) > 1) t`.execute(
      handle.db,
    );
    expect(Number(keys.rows[0]!.n)).toBeGreaterThan(10);
    await expectSameWalk("/api/v1/invoices", "&status=void");
    await expectSameWalk("/api/v1/invoices", "&period=2026-02");
    await expectSameWalk("/api/v1/invoices", `&customer_id=${Number(someCustomer) + 1}`);
    await expectSameWalk("/api/v1/invoices", "&currency=USD&status=finalized");
  });

  it("payments: the same rows in the same order as by page, across ties of paid_at", async () => {
    expect((await expectSameWalk("/api/v1/payments")).length).toBe(40);
    await expectSameWalk("/api/v1/payments", `&customer_id=${someCustomer}`);
  });

  it("customers: the same rows in the same order as by page, with filters", async () => {
    await expectSameWalk("/api/v1/customers");
    expect((await expectSameWalk("/api/v1/customers", `&client_group_id=${group}`)).length).toBe(7);
    await expectSameWalk("/api/v1/customers", "&status=suspended&email=cursor.test");
  });

  // By cursor since 2026-12-07 (the console's logs walked them by number, OFFSET past every newer row).
  it("the audit log and the SolusIO call log: the same rows in the same order as by page, with filters", async () => {
    expect((await expectSameWalk("/api/v1/audit-log", "&entity=cursor_walk")).length).toBe(30);
    await expectSameWalk("/api/v1/audit-log");
    expect((await expectSameWalk("/api/v1/solusio/calls")).length).toBeGreaterThanOrEqual(30);
    expect((await expectSameWalk("/api/v1/solusio/calls", "&failed=true")).length).toBeGreaterThanOrEqual(10);
    const audit = (await get("/api/v1/audit-log?per_page=3&entity=cursor_walk")).meta.next_cursor!;
    expect(await refusal(`/api/v1/solusio/calls?cursor=${encodeURIComponent(audit)}`)).toMatch(
      /another list/,
    );
    expect(await refusal(`/api/v1/audit-log?cursor=${encodeURIComponent(audit)}`)).toMatch(/other filters/);
  });

  it("gives next_cursor on a page by number too, and null on the last page", async () => {
    const first = await get("/api/v1/customers?per_page=500");
    expect(first.meta).toMatchObject({ page: 1, next_cursor: null });
    const small = await get("/api/v1/customers?per_page=2");
    expect(small.meta.next_cursor).toEqual(expect.any(String));
  });
});

describe("a cursor that is not this list's", () => {
  it("is refused with a 400 naming cursor when malformed, changed, cut or too long", async () => {
    const cursor = (await get("/api/v1/invoices?per_page=3")).meta.next_cursor!;
    const [body, check] = cursor.split(".") as [string, string];
    const changed = `${body.slice(0, 10)}${body[10] === "A" ? "B" : "A"}${body.slice(11)}.${check}`;
    for (const bad of [
      "abc",
      "",
      changed,
      cursor.slice(0, -1),
      `${body.slice(0, -2)}.${check}`,
      "x".repeat(401),
    ]) {
      expect(await refusal(`/api/v1/invoices?cursor=${encodeURIComponent(bad)}`)).toMatch(/cursor: /);
    }
  });

  it("is refused when made by another list, under other filters, or sent with a page number", async () => {
    const invoices = (await get("/api/v1/invoices?per_page=3&status=paid")).meta.next_cursor!;
    expect(await refusal(`/api/v1/payments?cursor=${invoices}`)).toMatch(/another list/);
    expect(await refusal(`/api/v1/invoices?cursor=${invoices}`)).toMatch(/other filters/);
    expect(await refusal(`/api/v1/invoices?status=void&cursor=${invoices}`)).toMatch(/other filters/);
    expect(await refusal(`/api/v1/invoices?status=paid&page=2&cursor=${invoices}`)).toMatch(
      /page: send page or cursor/,
    );
    const customers = (await get(`/api/v1/customers?per_page=2&client_group_id=${group}`)).meta.next_cursor!;
    expect(await refusal(`/api/v1/customers?cursor=${customers}`)).toMatch(/other filters/);
  });

  it("is refused, not answered 500, when well made but holding no key of the list", async () => {
    const forged = (list: string, key: string[], filters: Record<string, unknown> = {}) =>
      encodeURIComponent(encodeCursor(list, filters, key));
    for (const key of [
      ["2026-13", "1", "inv_ab"],
      ["2026-01", "0", "inv_ab"],
      ["2026-01", "9999999999999999999", "inv_ab"],
      ["2026-01", "1"],
      [],
    ])
      expect(await refusal(`/api/v1/invoices?cursor=${forged("invoices", key)}`)).toMatch(/cursor: /);
    for (const key of [
      ["2026-02-30T00:00:00.000000Z", "pay_ab"],
      ["2026-11-20T25:00:00.000000Z", "pay_ab"],
      ["2026-11-20T10:00:00Z", "pay_ab"],
    ])
      expect(await refusal(`/api/v1/payments?cursor=${forged("payments", key)}`)).toMatch(/cursor: /);
    for (const key of [["99999999999999999999"], ["9999999999999999999"], ["1", "2"]])
      expect(await refusal(`/api/v1/customers?cursor=${forged("customers", key)}`)).toMatch(/cursor: /);
  });
});

describe("meta.total", () => {
  const lists = ["/api/v1/invoices", "/api/v1/payments", "/api/v1/customers"];

  it("is counted on a page by number, and null on a page by cursor unless total=true", async () => {
    for (const path of lists) {
      const first = await get(`${path}?per_page=3`);
      expect(first.meta.total).toBeGreaterThan(6);
      expect(first.meta.last_page).toBe(Math.ceil(first.meta.total! / 3));
      const cursor = encodeURIComponent(first.meta.next_cursor!);
      const next = await get(`${path}?per_page=3&cursor=${cursor}`);
      expect(next.meta).toMatchObject({ page: null, total: null, last_page: null });
      expect(next.meta.next_cursor).toEqual(expect.any(String));
      expect(next.data).toHaveLength(3);
      // Asked for, the count is the first page's; the rows are the same either way.
      const counted = await get(`${path}?per_page=3&total=true&cursor=${cursor}`);
      expect(counted.meta).toMatchObject({ total: first.meta.total, last_page: first.meta.last_page });
      expect(counted.data).toEqual(next.data);
      expect(counted.meta.next_cursor).toBe(next.meta.next_cursor);
      // A page by number may skip the count too.
      const uncounted = await get(`${path}?per_page=3&page=2&total=false`);
      expect(uncounted.meta).toMatchObject({ page: 2, total: null, last_page: null });
      expect(uncounted.data.map((r) => r.id)).toEqual(next.data.map((r) => r.id));
    }
  });

  it("counts the filter's matches when asked on a filtered cursor page", async () => {
    const first = await get(`/api/v1/customers?per_page=2&client_group_id=${group}`);
    const next = await get(
      `/api/v1/customers?per_page=2&client_group_id=${group}&total=true&cursor=${encodeURIComponent(first.meta.next_cursor!)}`,
    );
    expect(next.meta).toMatchObject({ page: null, total: 7, last_page: 4 });
  });

  it("refuses a total other than true or false with a 400 naming total", async () => {
    for (const path of lists)
      for (const bad of ["yes", "1", "TRUE", `${"true".repeat(300)}`])
        expect(await refusal(`${path}?total=${bad}`)).toMatch(/total: must be true or false/);
    expect(await refusal("/api/v1/invoices?total=")).toMatch(/total: /);
  });
});

describe("the OpenAPI document", () => {
  it("describes cursor on the three lists and next_cursor in their meta", async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    for (const path of ["/api/v1/invoices", "/api/v1/payments", "/api/v1/customers"]) {
      const get = doc.paths[path].get;
      const cursor = get.parameters.find((p: { name: string }) => p.name === "cursor");
      expect(cursor.schema).toMatchObject({ type: "string", maxLength: 400 });
      expect(cursor.description).toMatch(/next_cursor/);
      const meta = get.responses["200"].content["application/json"].schema.properties.meta;
      expect(meta.properties.next_cursor.type).toEqual(["string", "null"]);
      const total = get.parameters.find((p: { name: string }) => p.name === "total");
      expect(total.schema.enum).toEqual(["true", "false"]);
      expect(total.description).toMatch(/false for a page by `cursor`/);
      expect(meta.properties.total.type).toEqual(["integer", "null"]);
      expect(meta.properties.last_page.type).toEqual(["integer", "null"]);
    }
    // A list by page number only keeps the meta it had.
    const currencies = doc.paths["/api/v1/currencies"].get.responses["200"].content["application/json"];
    expect(currencies.schema.properties.meta.properties.next_cursor).toBeUndefined();
  });
});
