import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, startTestEmulator } from "./helpers.ts";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe("authentication", () => {
  it("answers 401 {message} without a token or with an unknown one", async () => {
    for (const token of [null, "nope"]) {
      const res = await client(em, token).get("users");
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: "Unauthenticated." });
    }
  });

  it("lets a user's token act as that user but not as an admin (403)", async () => {
    const alice = client(em, "alice-token-0123456789");
    expect((await alice.get("account")).body.data.email).toBe("alice@example.com");
    const res = await alice.get("users");
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/unauthorized/i);
  });

  it("GET account returns the token owner", async () => {
    const res = await client(em).get("account");
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: 1, email: "admin@example.com", status: "active" });
    expect(res.body.data.roles[0]).toMatchObject({ name: "ADMIN" });
  });
});

describe("users", () => {
  it("creates a user the way the WHMCS module does: status 'Active', int billing_user_id → 201", async () => {
    const res = await client(em).post("users", {
      email: "carol@example.com",
      password: "s3cret-pass",
      status: "Active",
      billing_user_id: 77,
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      email: "carol@example.com",
      status: "active",
      billing_user_id: 77,
    });
    expect(res.body.data.created_at).toMatch(TIMESTAMP);
    expect(res.body.data.created_at).toBe("2026-10-01T00:00:00.000000Z");
    expect(res.body.data.roles).toEqual([{ id: 2, name: "CLIENT", is_default: true, users_count: 3 }]);
  });

  it("accepts billing_user_id as a numeric string (Blesta) and answers an integer", async () => {
    const res = await client(em).post("users", { email: "dave@example.com", billing_user_id: "1234" });
    expect(res.status).toBe(201);
    expect(res.body.data.billing_user_id).toBe(1234);
    const put = await client(em).put(`users/${res.body.data.id}`, {
      status: "active",
      billing_user_id: "99",
    });
    expect(put.body.data.billing_user_id).toBe(99);
  });

  it("refuses a non-numeric billing_user_id and a bad status with 422 {message, errors}", async () => {
    const res = await client(em).post("users", {
      email: "eve@example.com",
      billing_user_id: "12a",
      status: "frozen",
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors).sort()).toEqual(["billing_user_id", "status"]);
    expect(res.body.message).toMatch(/and 1 more error/);
  });

  it("answers 422 with errors.email when the e-mail is taken (case-insensitively) or missing or invalid", async () => {
    const taken = await client(em).post("users", { email: "ALICE@example.com" });
    expect(taken.status).toBe(422);
    expect(taken.body).toEqual({
      message: "The email has already been taken.",
      errors: { email: ["The email has already been taken."] },
    });
    const missing = await client(em).post("users", {});
    expect(missing.body.errors.email).toEqual(["The email field is required."]);
    const invalid = await client(em).post("users", { email: "not-an-email" });
    expect(invalid.body.errors.email).toEqual(["The email must be a valid email address."]);
  });

  it("checks referenced roles and limit groups", async () => {
    const res = await client(em).post("users", { email: "f@example.com", roles: [99], limit_group_id: 42 });
    expect(res.status).toBe(422);
    expect(res.body.errors).toHaveProperty("roles.0");
    expect(res.body.errors).toHaveProperty("limit_group_id");
    const ok = await client(em).post("users", { email: "g@example.com", roles: ["1"], limit_group_id: 1 });
    expect(ok.body.data.roles[0].name).toBe("ADMIN");
    expect(ok.body.data.limit_group).toMatchObject({ id: 1, name: "Two servers" });
  });

  it("gives new users the default limit group of settings", async () => {
    await client(em).patch("settings", { limit_group: 1 });
    const res = await client(em).post("users", { email: "h@example.com" });
    expect(res.body.data.limit_group.id).toBe(1);
  });

  it("GET users/{id} → 200, unknown → 404 {message}, non-numeric → 404", async () => {
    expect((await client(em).get("users/5")).body.data.email).toBe("alice@example.com");
    for (const path of ["users/999", "users/abc"]) {
      const res = await client(em).get(path);
      expect(res.status).toBe(404);
      expect(typeof res.body.message).toBe("string");
    }
  });

  it("PUT changes only the fields sent; PATCH changes the e-mail", async () => {
    const put = await client(em).put("users/5", { status: "locked" });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({
      status: "locked",
      billing_user_id: 42,
      email: "alice@example.com",
    });
    const patch = await client(em).patch("users/5", { email: "alice2@example.com" });
    expect(patch.body.data).toMatchObject({ email: "alice2@example.com", status: "locked" });
    const clash = await client(em).patch("users/5", { email: "bob@example.com" });
    expect(clash.status).toBe(422);
  });

  it("DELETE → 204 with no body, then 404; e-mail reusable", async () => {
    const res = await client(em).del("users/5");
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await client(em).get("users/5")).status).toBe(404);
    expect((await client(em).post("users", { email: "alice@example.com" })).status).toBe(201);
  });

  it("refuses to delete a user who has servers with a clear 422", async () => {
    await client(em).post("servers", { name: "web-1", plan: 1, location: 1, password: "x", user: 5 });
    const res = await client(em).del("users/5");
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/has 1 server .*delete them/);
    expect(res.body.errors.servers).toHaveLength(1);
  });

  it("refuses to delete the admin", async () => {
    expect((await client(em).del("users/1")).status).toBe(422);
  });

  it("mints tokens: 201 {data: {access_token}}; a user's token works as Bearer", async () => {
    const res = await client(em).post("users/5/tokens", { is_one_time: true });
    expect(res.status).toBe(201);
    expect(res.body.data.access_token).toMatch(/^[0-9a-f]{64}$/);
    const me = await client(em, res.body.data.access_token).get("account");
    expect(me.body.data.id).toBe(5);
    expect((await client(em).post("users/999/tokens", { is_one_time: true })).status).toBe(404);
    expect((await client(em).post("users/5/tokens", { is_one_time: "yes" })).status).toBe(422);
  });
});

describe("user filters as the official modules send them", () => {
  it("filter[search] with PHP-encoded brackets finds by e-mail substring, case-insensitively", async () => {
    const res = await client(em).get("users?filter%5Bsearch%5D=ALICE%40example.com");
    expect(res.status).toBe(200);
    expect(res.body.data.map((u: { id: number }) => u.id)).toEqual([5]);
    const plain = await client(em).get("users?filter[search]=example.com");
    expect(plain.body.meta.total).toBe(3);
  });

  it("an e-mail with + encoded as %2B matches; an empty filter[search]= lists everyone", async () => {
    await client(em).post("users", { email: "a+b@example.com" });
    const res = await client(em).get("users?filter%5Bsearch%5D=a%2Bb%40example.com");
    expect(res.body.data).toHaveLength(1);
    expect((await client(em).get("users?filter%5Bsearch%5D=")).body.meta.total).toBe(4);
  });

  it("filter[status] and filter[billing_user_id]", async () => {
    await client(em).put("users/6", { status: "suspended" });
    const suspended = await client(em).get("users?filter%5Bstatus%5D=suspended");
    expect(suspended.body.data.map((u: { id: number }) => u.id)).toEqual([6]);
    expect((await client(em).get("users?filter[status]=bogus")).status).toBe(422);
    const byBilling = await client(em).get("users?filter%5Bbilling_user_id%5D=42");
    expect(byBilling.body.data.map((u: { id: number }) => u.id)).toEqual([5]);
    expect((await client(em).get("users?filter[billing_user_id]=x")).status).toBe(422);
  });
});

describe("pagination", () => {
  it("pages with links/meta, including the last page and a page past the end", async () => {
    for (let i = 0; i < 4; i++) await client(em).post("users", { email: `p${i}@example.com` });
    const first = await client(em).get("users?per_page=3");
    expect(first.body.meta).toMatchObject({
      current_page: 1,
      from: 1,
      to: 3,
      last_page: 3,
      per_page: 3,
      total: 7,
    });
    expect(first.body.meta.path).toBe(`${em.apiUrl}/users`);
    expect(first.body.links.prev).toBeNull();
    expect(first.body.links.next).toBe(`${em.apiUrl}/users?per_page=3&page=2`);
    const last = await client(em).get("users?per_page=3&page=3");
    expect(last.body.data).toHaveLength(1);
    expect(last.body.meta).toMatchObject({ current_page: 3, from: 7, to: 7 });
    expect(last.body.links.next).toBeNull();
    const past = await client(em).get("users?per_page=3&page=9");
    expect(past.status).toBe(200);
    expect(past.body.data).toEqual([]);
    expect(past.body.meta).toMatchObject({ from: null, to: null, total: 7, last_page: 3 });
  });

  it("an empty list still has meta (last_page 1) so the WHMCS paging loop ends", async () => {
    const res = await client(em).get("users?filter[search]=nobody-here");
    expect(res.body).toEqual({
      data: [],
      links: {
        first: `${em.apiUrl}/users?filter%5Bsearch%5D=nobody-here&page=1`,
        last: `${em.apiUrl}/users?filter%5Bsearch%5D=nobody-here&page=1`,
        prev: null,
        next: null,
      },
      meta: {
        current_page: 1,
        from: null,
        last_page: 1,
        path: `${em.apiUrl}/users`,
        per_page: 15,
        to: null,
        total: 0,
      },
    });
  });

  it("refuses page=0, page=abc and per_page over the maximum with 422", async () => {
    for (const q of ["page=0", "page=abc", "per_page=1000"]) {
      const res = await client(em).get(`users?${q}`);
      expect(res.status).toBe(422);
      expect(res.body.errors).toBeTypeOf("object");
    }
  });
});

describe("errors never become 500", () => {
  it("malformed JSON → 400, unknown route → 404 JSON, wrong method → 405", async () => {
    const bad = await fetch(`${em.apiUrl}/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${em.adminToken}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: "The request body is not valid JSON." });
    const missing = await client(em).get("no-such-thing");
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBeTypeOf("string");
    const method = await client(em).del("users");
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toContain("GET");
  });

  it("wrong types in a body → 422, not 500", async () => {
    for (const body of [[], "text", 42, { email: 5 }, { email: "x@example.com", roles: "1" }]) {
      const res = await client(em).post("users", body);
      expect(res.status).toBe(422);
    }
  });

  it("a body over 1 MiB → 413", async () => {
    const res = await client(em).post("users", { email: "big@example.com", padding: "x".repeat(1_100_000) });
    expect(res.status).toBe(413);
  });
});
