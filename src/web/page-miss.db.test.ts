import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { rawRequest } from "../../test/helpers/raw-http.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../db/open-database.ts";

// An address under /console or /portal that no page answers: a mistyped link, or the address a form was
// sent to, opened again in a new tab or after the session ended. A person gets a page with a way back, not
// the admin API's JSON envelope (found by exploring the console in a browser, 2026-12-05).

let handle: DatabaseHandle;
let server: TestServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function get(path: string) {
  const response = await fetch(server.url + path, { redirect: "manual" });
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    headers: response.headers,
    text: await response.text(),
  };
}

describe("an address no page answers", () => {
  it("is a page saying so, with a link to the nearest page above it", async () => {
    for (const [path, back] of [
      ["/console/nothing-here", "/console"],
      ["/console/pricing/nothing/here", "/console/pricing"],
      ["/portal/invoice", "/portal"],
    ] as const) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.type, path).toContain("text/html");
      expect(answer.text, path).toContain("There is no page at this address");
      expect(answer.text, path).toContain(`<a href="${back}">`);
    }
  });

  it("opened where only a form is sent, is a page (405, Allow) pointing to the page the form is on", async () => {
    for (const [path, back] of [
      ["/console/customers/12/sync", "/console/customers/12"],
      [
        "/console/invoices/inv_0123456789abcdef01234567/payments",
        "/console/invoices/inv_0123456789abcdef01234567",
      ],
      ["/console/settings/staff", "/console/settings"],
      ["/portal/control-panel", "/portal"],
    ] as const) {
      const answer = await get(path);
      expect(answer.status, path).toBe(405);
      expect(answer.headers.get("allow"), path).toBe("POST");
      expect(answer.type, path).toContain("text/html");
      expect(answer.text, path).toContain("only receives a form");
      expect(answer.text, path).toContain(`<a href="${back}">`);
    }
  });

  // The router refuses these before any page runs (frameworkErrors in src/http/server.ts); they were the API's
  // JSON envelope, echoing the address ('/console/invoices/%ZZ' is not a valid url component). Found by the
  // page fuzz (test/fuzz/page-fuzz.db.test.ts).
  it("that the router cannot read (bad percent-encoding, a segment too long) is a page naming nothing of it", async () => {
    const missing = await get("/console/nothing-here");
    expect(missing.headers.get("content-security-policy")).toMatch(/default-src/);
    // Titled by what is wrong with it: both were "Not found" and "Page not found" (until 2026-12-06).
    for (const [path, status, heading] of [
      ["/console/invoices/%ZZ", 400, "Damaged address"],
      ["/portal/invoices/%E0%A4%A", 400, "Damaged address"],
      [`/console/customers/${"x".repeat(1001)}/edit`, 414, "Address too long"],
      [`/portal/payments/${"9".repeat(101)}`, 414, "Address too long"],
    ] as const) {
      const answer = await get(path);
      expect(answer.status, path).toBe(status);
      expect(answer.type, path).toContain("text/html");
      expect(answer.text, path).toContain(`<title>${heading} · tokenbill ${path.split("/")[1]}</title>`);
      expect(answer.text, path).toContain(`<h1>${heading}</h1>`);
      expect(answer.text, path).not.toContain("not found");
      expect(answer.text, path).toContain("This address is damaged or too long");
      expect(answer.text, path).not.toContain(path.split("/")[3]!);
      // Held to the pages' policy as a missing page is, though no hook ran before the router refused it.
      for (const header of ["content-security-policy", "x-frame-options", "x-content-type-options"])
        expect(answer.headers.get(header), `${path} ${header}`).toBe(missing.headers.get(header));
    }
    // A form sent to such an address is the page's own fault, in the envelope as a missed form address is.
    const posted = await fetch(`${server.url}/console/invoices/%ZZ/payments`, { method: "POST" });
    expect(posted.status).toBe(400);
    expect(posted.headers.get("content-type")).toContain("application/json");
  });

  // Node's parser refuses headers over 16 KiB before any request exists (answered on the socket); a browser
  // with many or large cookies for the host meets it. It was the admin API's JSON envelope under the pages too.
  it("with headers too large (a browser's cookies) is a page saying what to do, with the pages' headers", async () => {
    const missing = await get("/console/nothing-here");
    const cookie = `other_app=${"c".repeat(20_000)}`;
    for (const path of ["/console/customers", "/portal", "/portal/invoices?page=2"]) {
      const answer = await rawRequest(server.url, { method: "GET", path, headers: { cookie } });
      expect(answer.status, path).toBe(431);
      expect(answer.headers["content-type"], path).toContain("text/html");
      expect(answer.headers["cache-control"], path).toBe("no-store");
      expect(answer.text, path).toContain(`· tokenbill ${path.split(/[/?]/)[1]}</title>`);
      expect(answer.text, path).toContain("Delete this site&#39;s cookies");
      expect(answer.text, path).not.toContain("ccccc");
      for (const header of ["content-security-policy", "x-frame-options", "x-content-type-options"])
        expect(answer.headers[header], `${path} ${header}`).toBe(missing.headers.get(header));
    }
    const head = await rawRequest(server.url, { method: "HEAD", path: "/console", headers: { cookie } });
    expect([head.status, head.text]).toEqual([431, ""]);
    // The API, and a form sent to a page's address, keep the envelope.
    for (const [method, path] of [
      ["GET", "/api/v1/customers"],
      ["POST", "/console/customers"],
    ]) {
      const answer = await rawRequest(server.url, { method: method!, path: path!, headers: { cookie } });
      expect(answer.status, path).toBe(431);
      expect(JSON.parse(answer.text).error.code, path).toBe("HEADERS_TOO_LARGE");
    }
  });

  it("stays the error envelope everywhere else", async () => {
    const missing = await get("/api/v1/nothing");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error.code).toBe("NOT_FOUND");
    const posted = await fetch(`${server.url}/console/nothing-here`, { method: "POST" });
    expect(posted.status).toBe(404);
    expect(posted.headers.get("content-type")).toContain("application/json");
    const api = await get("/api/v1/invoices/%ZZ");
    expect(api.status).toBe(400);
    expect(JSON.parse(api.text).error.code).toBe("VALIDATION");
    const lookalike = await get("/consoles");
    expect(lookalike.status).toBe(404);
    expect(lookalike.type).toContain("application/json");
  });
});
