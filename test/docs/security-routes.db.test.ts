import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyRolesByMethod, type RouteEntry } from "../../src/http/access.ts";
import { buildOpenApi } from "../../src/http/openapi.ts";
import { adminRoutes } from "../../src/http/server.ts";
import { createTestDatabase } from "../helpers/test-database.ts";
import { startTestServer, type TestServer } from "../helpers/test-server.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { codeSpans, docFiles } from "./markdown.ts";
import {
  type MetricsServer,
  metricsListenerRoutes,
  startMetricsServer,
} from "../../src/metrics/metrics-server.ts";

// docs/security.md's table of who may call what against the routes the server registers, each with the access
// access.ts decides from (its live route table, not a list kept here): a route answered without a credential
// that no row marked `public` names fails, and so does a route a row names whose access is not the row's.
// Until 2026-12-06 the table named none of the seven login pages, which are public, but as "public themselves".
// The OpenAPI document's public operations (api.md's credential "none") are held to the same table.
// The METRICS_PORT listener, a server of its own, has a table of its own ("The metrics listener"), held to
// its route table and to what it answers: its routes without a credential, every other one a 404.

const PRICING_PATH = "/billing/pricing";

let handle: DatabaseHandle;
let server: TestServer;
let routes: RouteEntry[];
let metricsServer: MetricsServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  // Another path than the default, so that `<PRICING_PATH>` in the table is read as the setting.
  server = await startTestServer(handle.db, { PRICING_PATH });
  routes = server.app.routeTable;
  metricsServer = await startMetricsServer(server.app.metrics, 0);
});
afterAll(async () => {
  await metricsServer?.close();
  await server?.close();
  await handle?.close();
});

interface Row {
  /** `METHOD /path`, or `* /path` for a bare path: every method the server has for it. */
  routes: string[];
  access: string[];
  /** The roles of admin API key of the "API key roles" cell (the one before the last), sorted. */
  keyRoles: string[];
  line: string;
}

const ACCESS = new Set(["public", "admin", "staff", "customer", "loopback"]);
const KEY_ROLES = new Set(["admin", "billing", "support"]);
const MAIN_TABLE = "Who may call what";
const METRICS_TABLE = "The metrics listener";

/** The rows of the table under a heading (`MAIN_TABLE`): the routes of the first cell, the access of the last. */
function tableRows(text: string, pricingPath: string, heading = MAIN_TABLE): Row[] {
  const section = text.split(/^## /m).find((s) => s.startsWith(heading));
  if (section === undefined) throw new Error(`docs/security.md has no section "${heading}"`);
  const lines = section.split("\n").filter((line) => /^\|/.test(line) && !/^\|[-| ]+\|$/.test(line));
  return lines.slice(1).map((line) => {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1);
    const routesNamed = codeSpans(cells[0] ?? "").flatMap((span) => {
      const spelled = span.replace("<PRICING_PATH>", pricingPath).split("?")[0]!;
      // `/console/…` names a group, not a route.
      if (spelled.includes("…")) return [];
      const withMethod = /^(GET|HEAD|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(spelled);
      if (withMethod) return [`${withMethod[1]} ${withMethod[2]}`];
      return /^\/\S*$/.test(spelled) ? [`* ${spelled}`] : [];
    });
    const access = codeSpans(cells.at(-1) ?? "").filter((span) => ACCESS.has(span));
    const keyRoles =
      cells.length > 4 ? codeSpans(cells.at(-2) ?? "").filter((span) => KEY_ROLES.has(span)) : [];
    return { routes: routesNamed, access, keyRoles: [...new Set(keyRoles)].sort(), line };
  });
}

const routeKey = (r: Pick<RouteEntry, "method" | "url">) => `${r.method} ${r.url}`;
const securityDoc = () => docFiles().find((doc) => doc.path === "docs/security.md")!.text;

/** Whether `name` (`GET /healthz`, `* /console/login`) names the route; a HEAD is named by its GET. */
function names(name: string, route: Pick<RouteEntry, "method" | "url">): boolean {
  const [method, path] = name.split(" ") as [string, string];
  if (path !== route.url) return false;
  return method === "*" || method === route.method || (route.method === "HEAD" && method === "GET");
}

describe("docs/security.md's table of who may call what", () => {
  it("reads routes and access from the rows", () => {
    const text = [
      "## Who may call what",
      "",
      "| route | who | credential | access |",
      "|---|---|---|---|",
      "| `GET /healthz`, `POST <PRICING_PATH>` | anyone | none | `public` |",
      "| `/console/login`, `/console/…` | staff | none | `public` |",
      "| every other route (`/api/v1/…`) | automation | a key | `admin` |",
      "",
      "## Next",
    ].join("\n");
    expect(tableRows(text, "/p").map(({ routes, access }) => ({ routes, access }))).toEqual([
      { routes: ["GET /healthz", "POST /p"], access: ["public"] },
      { routes: ["* /console/login"], access: ["public"] },
      { routes: [], access: ["admin"] },
    ]);
  });

  it("names every route served without a credential in a row marked public", () => {
    const rows = tableRows(securityDoc(), PRICING_PATH);
    const publicNames = rows.filter((row) => row.access.includes("public")).flatMap((row) => row.routes);
    const served = routes.filter((r) => r.access === "public");
    expect(served.length).toBeGreaterThan(10);
    const missing = served.filter((r) => !publicNames.some((name) => names(name, r))).map(routeKey);
    expect(missing).toEqual([]);
  });

  it("gives each route it names the access the server decides for it", () => {
    const rows = tableRows(securityDoc(), PRICING_PATH).filter((row) => row.routes.length > 0);
    expect(rows.length).toBeGreaterThan(5);
    const wrong = rows.flatMap((row) => {
      if (row.access.length === 0)
        return [`${row.line}: no access (\`public\`, \`admin\`, …) in its last cell`];
      return row.routes.flatMap((name) => {
        const matched = routes.filter((r) => names(name, r));
        if (matched.length === 0) return [`${name}: no such route`];
        return matched
          .filter((r) => !row.access.includes(r.access))
          .map((r) => `${routeKey(r)}: ${r.access}, not ${row.access.join(" or ")}`);
      });
    });
    expect(wrong).toEqual([]);
  });

  it("gives each admin route it names the API key roles the access layer lets through", () => {
    const rows = tableRows(securityDoc(), PRICING_PATH).filter(
      (row) => row.routes.length > 0 && row.access.includes("admin"),
    );
    const wrong = rows.flatMap((row) =>
      row.routes.flatMap((name) =>
        routes
          .filter((r) => r.access === "admin" && names(name, r))
          .filter((r) => [...(r.keyRoles ?? [])].sort().join(",") !== row.keyRoles.join(","))
          .map((r) => `${routeKey(r)}: ${r.keyRoles?.join(", ")}, not ${row.keyRoles.join(", ") || "none"}`),
      ),
    );
    expect(wrong).toEqual([]);
  });

  it("names every admin route whose API key roles are not its method's (the rule of the last row)", () => {
    const named = tableRows(securityDoc(), PRICING_PATH).flatMap((row) => row.routes);
    const byMethod = (r: RouteEntry) => keyRolesByMethod(r.method).join(",") === r.keyRoles?.join(",");
    const unnamed = routes
      .filter((r) => r.access === "admin" && !byMethod(r) && !named.some((name) => names(name, r)))
      .map(routeKey);
    expect(unnamed).toEqual([]);
  });

  it('agrees with the OpenAPI document on which operations need no credential (api.md\'s "none")', () => {
    const doc = buildOpenApi(adminRoutes) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const disagree = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) => {
        const url = path.replace(/\{(\w+)\}/g, ":$1");
        const route = routes.find((r) => r.method === method.toUpperCase() && r.url === url);
        const documentedPublic = Array.isArray(op.security) && op.security.length === 0;
        if (route === undefined) return [`${method} ${path}: not served`];
        return documentedPublic === (route.access === "public")
          ? []
          : [`${method} ${path}: ${route.access}, documented ${documentedPublic ? "public" : "with a key"}`];
      }),
    );
    expect(disagree).toEqual([]);
  });
});

describe("docs/security.md's table of the metrics listener (METRICS_PORT)", () => {
  const listenerRows = () =>
    tableRows(securityDoc(), PRICING_PATH, METRICS_TABLE).filter((row) => row.routes.length > 0);
  const origin = () => new URL(metricsServer.url).origin;

  it("names every route of the listener, with the listener's access for it", () => {
    const rows = listenerRows();
    const missing = metricsListenerRoutes
      .filter(
        (r) => !rows.some((row) => row.access.includes(r.access) && row.routes.some((n) => names(n, r))),
      )
      .map(routeKey);
    expect(missing).toEqual([]);
    const wrong = rows.flatMap((row) =>
      row.routes.flatMap((name) => {
        const matched = metricsListenerRoutes.filter((r) => names(name, r));
        if (matched.length === 0) return [`${name}: not a route of the listener`];
        return matched
          .filter((r) => !row.access.includes(r.access))
          .map((r) => `${routeKey(r)}: ${r.access}`);
      }),
    );
    expect(wrong).toEqual([]);
  });

  it("answers its routes without a credential", async () => {
    for (const route of metricsListenerRoutes) {
      const answer = await fetch(`${origin()}${route.url}`, { method: route.method });
      await answer.arrayBuffer();
      expect({ route: routeKey(route), status: answer.status }).toEqual({
        route: routeKey(route),
        status: 200,
      });
    }
  });

  it("refuses every other route with a 404, the main server's included (deny by default)", async () => {
    const asked = [
      ...routes.map((r) => ({ method: r.method, url: r.url.replace(/:\w+/g, "x").replace("*", "x") })),
      { method: "POST", url: "/metrics" },
      { method: "OPTIONS", url: "/metrics" },
      { method: "GET", url: "/metrics/" },
      { method: "GET", url: "//metrics" },
      { method: "GET", url: "/%6detrics" },
      { method: "GET", url: "/METRICS" },
    ].filter((r) => !metricsListenerRoutes.some((own) => own.method === r.method && own.url === r.url));
    expect(asked.length).toBeGreaterThan(50);
    const answered: string[] = [];
    for (const { method, url } of asked) {
      const answer = await fetch(`${origin()}${url}`, { method });
      await answer.arrayBuffer();
      if (answer.status !== 404) answered.push(`${method} ${url}: ${answer.status}`);
    }
    expect(answered).toEqual([]);
  });
});
