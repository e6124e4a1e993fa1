import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../test/helpers/raw-http.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../db/open-database.ts";

// Access is decided from the matched route: every registered route, spelled every way a
// client can spell it, answers nothing but an error without a valid key.

let handle: DatabaseHandle;
let server: TestServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  // The walk presents thousands of wrong keys on purpose; the failure limit is tested on its own below.
  server = await startTestServer(handle.db, { AUTH_FAILURES_PER_MINUTE: 100_000 });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const encode = (ch: string) => `%${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;

/** Ways to write one concrete path that a router or a proxy might take for the same route. */
function spellings(path: string): string[] {
  const segments = path.split("/").slice(1);
  const out = new Set<string>([path, `${path}/`, path.toUpperCase(), path.replace(/\/api\//, "/API/")]);
  segments.forEach((segment, i) => {
    const at = (s: string) => `/${segments.map((x, j) => (j === i ? s : x)).join("/")}`;
    out.add(at(segment.replace(/[a-z]/, encode))); // one letter percent-encoded: /%61pi/v1/…
    out.add(at(segment.replace(/[a-z]/, (c) => encode(c).toUpperCase())));
    out.add(at(segment.replace(/[a-z0-9]/g, encode))); // the whole segment encoded: /api/%76%31/…
    out.add(at(`${segment}/`).replace(/\/$/, "//")); // doubled slash after it
    out.add(at(`./${segment}`)); // dot segment
    out.add(at(`x/../${segment}`)); // parent segment
    out.add(at(`%2e/${segment}`));
    out.add(at(`${segment};x=1`));
  });
  out.add(`/${path}`);
  out.add(path.replaceAll("/", "%2F"));
  out.add(path.replace(/\/([^/]*)$/, "%2F$1"));
  return [...out];
}

function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => (name === "period" ? "2026-10" : "1"));
}

describe("every admin route needs a key, whatever its spelling", () => {
  it("lists exactly the intended public routes", () => {
    const publicRoutes = server.app.routeTable
      .filter((r) => r.access === "public")
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(publicRoutes).toEqual(
      [
        "GET /api/v1/openapi.json",
        "GET /healthz",
        "GET /readyz",
        "GET /sso/solusio",
        "HEAD /api/v1/openapi.json",
        "HEAD /healthz",
        "HEAD /readyz",
        "HEAD /sso/solusio",
        "POST /solusio/api",
        // Stripe's signed events (checked by the Stripe SDK; 404 while online payments are off).
        "POST /webhooks/stripe",
        // The script a form's answer loads to rename its history entry (form-answer-asset.ts): the login and
        // reset pages load it without a session. It is the same for everyone; no other asset is public.
        ...["/console/assets/form-answer.js", "/portal/assets/form-answer.js"].flatMap((path) => [
          `GET ${path}`,
          `HEAD ${path}`,
        ]),
        // The login pages of the console and the portal: every other page needs a session.
        ...[
          "/console/login",
          "/console/login/code",
          "/portal/login",
          "/portal/login/link",
          "/portal/login/link/open",
          "/portal/password-reset",
          "/portal/password-reset/new",
        ].flatMap((path) => ["GET", "HEAD", "POST"].map((method) => `${method} ${path}`)),
      ].sort(),
    );
  });

  it("refuses every spelling of every admin route without a key or with a wrong one", async () => {
    const admin = server.app.routeTable.filter((r) => r.access === "admin");
    expect(admin.length).toBeGreaterThan(40);
    const leaks: string[] = [];
    let matchedEncoded = 0;
    for (const route of admin) {
      const path = concrete(route.url);
      for (const spelling of spellings(path)) {
        for (const headers of [{}, { authorization: "Bearer tbk_wrong-key" }] as Record<string, string>[]) {
          const answer = await rawRequest(server.url, {
            method: route.method,
            path: spelling,
            headers: { ...headers, "content-type": "application/json" },
            body: route.method === "GET" || route.method === "HEAD" ? undefined : "{}",
          });
          if (answer.status < 400 || /"data"/.test(answer.text))
            leaks.push(`${route.method} ${spelling} → ${answer.status}`);
          if (answer.status === 401 && spelling !== path) matchedEncoded++;
        }
      }
    }
    expect(leaks).toEqual([]);
    // The router does decode some spellings to a real route: those met the key check, not a 404.
    expect(matchedEncoded).toBeGreaterThan(admin.length);
  });

  it("answers the canonical spelling with a valid key (the walk above would pass on a dead server too)", async () => {
    const answer = await rawRequest(server.url, {
      method: "GET",
      path: "/%61pi/v1/customers",
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(answer.status).toBe(200);
    const without = await rawRequest(server.url, { method: "GET", path: "/%61pi/v1/customers" });
    expect(without.status).toBe(401);
    expect(JSON.parse(without.text).error.code).toBe("UNAUTHORIZED");
  });

  it("keeps the SSO link creation behind the key in every spelling", async () => {
    for (const path of [
      "/%61pi/v1/customers/1/sso",
      "/api/%76%31/customers/1/sso-link",
      "/api/v1/customers/1/%73so",
    ]) {
      const answer = await rawRequest(server.url, { method: "POST", path });
      expect(answer.status, path).toBe(401);
    }
  });
});
