import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { ADMIN_TOKEN, BASIC_SEED, client, reset, startTestEmulator } from "./helpers.ts";

// The HTTP layer as clients meet it: the bodies and paths PHP, Go and curl send, and how routing refuses.

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

async function send(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(`${em.url}${path}`, {
    method,
    body,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    redirect: "manual",
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

describe("request bodies", () => {
  it("reads JSON whatever the label: application/json, a form label (curl -d), text/plain, none", async () => {
    const cases: [string, Record<string, string>][] = [
      ["json", { "content-type": "application/json; charset=utf-8" }],
      ["curl", { "content-type": "application/x-www-form-urlencoded" }],
      ["text", { "content-type": "text/plain" }],
      ["none", {}],
    ];
    for (const [name, headers] of cases) {
      // A byte array body: fetch adds no content-type of its own.
      const body = new TextEncoder().encode(JSON.stringify({ email: `${name}@example.com` }));
      const res = await send("POST", "/api/v1/users", body, headers);
      expect({ name, status: res.status, email: res.json?.data?.email }).toEqual({
        name,
        status: 201,
        email: `${name}@example.com`,
      });
    }
  });

  it("reads a real form body as fields", async () => {
    const res = await send("POST", "/api/v1/users", "email=form%40example.com&billing_user_id=77", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(201);
    expect(res.json.data).toMatchObject({ email: "form@example.com", billing_user_id: 77 });
  });

  it("an empty or blank body is {}: the route's own 422 or success, never a 400", async () => {
    const empty = await send("POST", "/api/v1/users", "", { "content-type": "application/json" });
    expect(empty.status).toBe(422);
    expect(empty.json.errors).toHaveProperty("email");
    const blank = await send("POST", "/api/v1/users", "  \n ", { "content-type": "application/json" });
    expect(blank.status).toBe(422);
    expect((await send("POST", "/_emulator/reset")).status).toBe(200);
  });

  it("refuses malformed JSON and prototype keys with 400 {message}", async () => {
    for (const body of ["{nope", '{"email":"x@example.com"} trailing', '{"__proto__":{"admin":true}}']) {
      const res = await send("POST", "/api/v1/users", body, { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ message: "The request body is not valid JSON." });
    }
  });

  it("a Content-Type that is not a media type at all is 415 {message}", async () => {
    for (const type of ["foo", ""]) {
      const res = await send("POST", "/api/v1/users", '{"email":"t@example.com"}', { "content-type": type });
      expect(res.status).toBe(415);
      expect(res.json).toEqual({ message: "The Content-Type header is not a valid media type." });
    }
  });

  it("a caller without a token gets 401 before its body is read", async () => {
    const res = await fetch(`${em.apiUrl}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "Unauthenticated." });
  });
});

describe("paths and routing", () => {
  it("tolerates trailing and doubled slashes; links keep the path as asked, without the slash", async () => {
    const res = await send("GET", "/api/v1/users/?per_page=1");
    expect(res.status).toBe(200);
    expect(res.json.meta.path).toBe(`${em.apiUrl}/users`);
    expect((await send("GET", "/api/v1//users")).status).toBe(200);
    expect((await send("GET", "/api/v1/users/5/")).json.data.email).toBe("alice@example.com");
  });

  it("PHP-encoded brackets, `+` for space and %40 reach the filters decoded", async () => {
    const res = await send("GET", "/api/v1/users?filter%5Bsearch%5D=ALICE%40example.com&per_page=5");
    expect(res.json.meta.total).toBe(1);
    expect(res.json.links.first).toBe(
      `${em.apiUrl}/users?filter%5Bsearch%5D=ALICE%40example.com&per_page=5&page=1`,
    );
  });

  it("a path that exists under other methods is 405 with Allow listing them all", async () => {
    const res = await send("DELETE", "/api/v1/users");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
    expect(res.json).toEqual({ message: "The DELETE method is not supported for this route." });
    const item = await send("POST", "/api/v1/users/5/");
    expect(item.headers.get("allow")).toBe("GET, PUT, PATCH, DELETE");
  });

  it("HEAD is not served: a GET route answers HEAD with 405 (a HEAD must not consume a login token)", async () => {
    const res = await fetch(`${em.apiUrl}/account`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });

  it("unknown paths: 404 JSON under /api and /_emulator, an HTML page elsewhere", async () => {
    for (const path of ["/api/v1/nothing", "/_emulator/nothing"]) {
      const res = await send("GET", path);
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ message: "Not found." });
    }
    const page = await send("GET", "/nothing");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
  });

  it("a long login token in the path is an answer from the route, not a router refusal", async () => {
    const res = await send("GET", `/auth/by_token/${"a".repeat(600)}`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("text/html");
  });

  it("bad percent-encoding in the path is a 400 {message}", async () => {
    const res = await send("GET", "/api/v1/users/%E0%A4%A");
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ message: "The request URL is not valid." });
  });

  it("non-numeric ids are 404, as an unknown id", async () => {
    expect((await send("GET", "/api/v1/users/abc")).status).toBe(404);
  });
});

describe("cookies", () => {
  it("the session cookie is found among others the browser sends", async () => {
    const token = (await client(em).post("users/5/tokens", { is_one_time: true })).body.data.access_token;
    const login = await fetch(`${em.url}/auth/by_token/${token}`, { redirect: "manual" });
    const session = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(session).toMatch(/^solusio_session=[0-9a-f]+$/);
    const page = await fetch(`${em.url}/`, { headers: { cookie: `theme=dark; ${session}; lang="en"` } });
    expect(page.status).toBe(200);
    const without = await fetch(`${em.url}/`, { headers: { cookie: "theme=dark; solusio_session=%zz" } });
    expect(without.status).toBe(401);
  });
});
