import { describe, expect, it } from "vitest";
import { buildOpenApi } from "../../src/http/openapi.ts";
import { leftOutRoutes } from "../../src/http/openapi-other-routes.ts";
import { adminRoutes } from "../../src/http/server.ts";
import { docFiles, namedRoutes, shape, withoutFences } from "./markdown.ts";

// Every route of tokenbill's HTTP API the docs name (`POST /api/v1/billing-runs`, or a path in a code span)
// is in the OpenAPI document, which src/http/openapi-routes.db.test.ts holds to the server's route table, or
// is one of the routes the document leaves out on purpose (GetTokenPricing, the SSO link, Stripe's webhook).
// emulator.md and solusio-api.md describe SolusIO's API, not tokenbill's: they have their own test
// (emulator/test/docs-routes.test.ts).

const SOLUSIO_DOCS = new Set(["docs/emulator.md", "docs/solusio-api.md"]);
const docs = docFiles().filter((doc) => !SOLUSIO_DOCS.has(doc.path));
const openapi = buildOpenApi(adminRoutes) as { paths: Record<string, Record<string, unknown>> };

const described = new Set(
  Object.entries(openapi.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${shape(path)}`),
  ),
);
const leftOut = leftOutRoutes("/solusio/api").flatMap((route) =>
  route.methods.map((method) => `${method} ${route.url}`),
);

/** The console's and the portal's pages are left out of the document as a whole (console.md, portal.md). */
const isPage = (path: string) => /^\/(console|portal)(\/|$)/.test(path);

/** Paths of the API in code spans without a method: `/api/v1/invoices/{id}/pdf`. */
function namedPaths(text: string): string[] {
  return [...withoutFences(text).matchAll(/`(?:[A-Z]+ )?(\/api\/v1\/[\w{}:./-]*)/g)].map((m) =>
    m[1]!.replace(/[.]+$/, ""),
  );
}

describe("the API routes the docs name", () => {
  it("reads routes from prose, tables and shell lines", () => {
    expect(namedRoutes("send `POST /api/v1/billing-runs` or GET /healthz.")).toEqual([
      "POST /api/v1/billing-runs",
      "GET /healthz",
    ]);
    expect(namedPaths("see `/api/v1/invoices/{id}/pdf`")).toEqual(["/api/v1/invoices/{id}/pdf"]);
  });

  it("names only routes the OpenAPI document describes, with their methods", () => {
    const named = docs.flatMap((doc) => namedRoutes(doc.text).map((route) => ({ doc: doc.path, route })));
    expect(named.length).toBeGreaterThan(50);
    const unknown = named.filter(({ route }) => {
      const [method, path] = route.split(" ") as [string, string];
      const withoutQuery = path.split("?")[0]!;
      return (
        !described.has(`${method} ${shape(withoutQuery)}`) &&
        !leftOut.includes(`${method} ${withoutQuery}`) &&
        !isPage(withoutQuery)
      );
    });
    expect(unknown).toEqual([]);
  });

  it("names only API paths that exist (a path the document describes, or the start of one)", () => {
    const paths = [...described].map((route) => route.split(" ")[1]!);
    const unknown = docs.flatMap((doc) =>
      namedPaths(doc.text)
        .filter((path) => {
          const wanted = shape(path.split("?")[0]!);
          return !paths.some((p) => p === wanted || p.startsWith(`${wanted}/`));
        })
        .map((path) => `${doc.path}: ${path}`),
    );
    expect(unknown).toEqual([]);
  });
});
