import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, setClock, startTestEmulator } from "./helpers.ts";

// "Never a 500 for bad input": arbitrary JSON bodies and query strings against every writing route.

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
  await client(em).post("servers", { name: "s", plan: 1, location: 1, user: 5 });
});
afterAll(() => em.close());

const WRITES: [string, string][] = [
  ["POST", "users"],
  ["PUT", "users/5"],
  ["PATCH", "users/6"],
  ["POST", "users/5/tokens"],
  ["POST", "limit_groups"],
  ["PUT", "limit_groups/1"],
  ["POST", "plans"],
  ["PUT", "plans/2"],
  ["POST", "servers"],
  ["PATCH", "settings"],
  ["POST", "auth/register"],
  ["POST", "/_emulator/faults"],
  ["POST", "/_emulator/clock"],
];

describe("arbitrary input", () => {
  it("bodies never cause a 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITES), fc.jsonValue(), async ([method, path], body) => {
        const c = client(em);
        const res =
          method === "POST"
            ? await c.post(path, body)
            : method === "PUT"
              ? await c.put(path, body)
              : await c.patch(path, body);
        expect(res.status).toBeLessThan(500);
        await c.del("/_emulator/faults");
      }),
      { numRuns: 150 },
    );
  });

  it("raw bodies under any label never cause a 500", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...WRITES),
        fc.constantFrom(
          "application/json",
          "application/x-www-form-urlencoded",
          "text/plain",
          "multipart/form-data; boundary=x",
          "application/json; charset=latin1",
          undefined,
        ),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.constantFrom("", " ", "{", "[]", "a=1&a=2", "null", '{"__proto__":1}'),
        ),
        async ([method, path], type, body) => {
          const url = path.startsWith("/") ? `${em.url}${path}` : `${em.apiUrl}/${path}`;
          const headers: Record<string, string> = { authorization: `Bearer ${em.adminToken}` };
          if (type) headers["content-type"] = type;
          const res = await fetch(url, { method, headers, body: new TextEncoder().encode(body) });
          await res.arrayBuffer();
          expect(res.status).toBeLessThan(500);
          await client(em).del("/_emulator/faults");
        },
      ),
      { numRuns: 150 },
    );
  });

  it("query strings never cause a 500", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("users", "servers", "plans", "usage", "roles", "limit_groups", "locations"),
        fc.array(
          fc.tuple(
            fc.constantFrom(
              "page",
              "per_page",
              "filter[search]",
              "filter[status]",
              "filter[user_id]",
              "filter[billing_user_id]",
              "period_start",
              "period_end",
            ),
            fc.string(),
          ),
        ),
        async (path, params) => {
          const res = await client(em).get(`${path}?${new URLSearchParams(params).toString()}`);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a clock set back before a server's creation does not break usage or the server list", async () => {
    await setClock(em, { now: "2020-01-01T00:00:00Z" });
    await client(em).del("servers/1");
    const res = await client(em).get(
      "usage?period_start=2019-01-01T00:00:00Z&period_end=2030-01-01T00:00:00Z",
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });
});
