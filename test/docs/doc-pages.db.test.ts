import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteEntry } from "../../src/http/access.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { createTestDatabase } from "../helpers/test-database.ts";
import { startTestServer, type TestServer } from "../helpers/test-server.ts";
import { docFiles, shape, withoutFences } from "./markdown.ts";

// docs/console.md and docs/portal.md against the pages the server registers (its live route table): every
// page a browser opens (a GET, scripts aside) is named in its area's doc, by its own address or by the page
// it is reached from (`/console/customers/:id/edit` by `/console/customers/{id}`, else `/console/customers`);
// and every address those docs name is a route, or the start of one. Who may open each page (public, staff,
// customer) is held to docs/security.md's table by security-routes.db.test.ts.

const AREAS = [
  { area: "/console", doc: "docs/console.md" },
  { area: "/portal", doc: "docs/portal.md" },
];

let handle: DatabaseHandle;
let server: TestServer;
let routes: RouteEntry[];

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  routes = server.app.routeTable;
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** The addresses under `area` a doc names, as shapes: `/console/customers/{id}` and `/console/customers/1` alike. */
function namedAddresses(text: string, area: string): Set<string> {
  const addresses = [...withoutFences(text).matchAll(new RegExp(`${area}(?:/[\\w{}:.-]*)*`, "g"))]
    .map((m) => m[0].replace(/[.]+$/, ""))
    // A source file (`src/web/console/money-words.ts`) is no address.
    .filter((address) => !/\.ts$/.test(address))
    .map((address) => shape(address.replace(/\/\d+(?=\/|$)/g, "/{}")));
  return new Set(addresses);
}

/** The pages a page's address may be documented by: itself, then each shorter address above it. */
function reachedFrom(url: string): string[] {
  const segments = shape(url).split("/");
  return segments.map((_, i) => segments.slice(0, segments.length - i).join("/")).filter((p) => p !== "");
}

describe.each(AREAS)("the pages of $area in $doc", ({ area, doc }) => {
  const text = () => docFiles().find((d) => d.path === doc)!.text;
  const pages = () =>
    routes.filter((r) => r.method === "GET" && r.url.startsWith(area) && !r.url.includes("/assets/"));

  it("names every page, or the page it is reached from, below the area itself", () => {
    const named = namedAddresses(text(), area);
    expect(pages().length).toBeGreaterThan(10);
    const unnamed = pages()
      .filter((page) => !reachedFrom(page.url).some((address) => address !== area && named.has(address)))
      .filter((page) => shape(page.url) !== area || !named.has(area))
      .map((page) => page.url);
    expect(unnamed).toEqual([]);
  });

  it("names only addresses that are routes, or the start of one", () => {
    const shapes = routes.map((r) => shape(r.url));
    const unknown = [...namedAddresses(text(), area)].filter(
      (address) => !shapes.some((s) => s === address || s.startsWith(`${address}/`)),
    );
    expect(unknown).toEqual([]);
  });
});
