import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildOpenApi } from "../../src/http/openapi.ts";
import { adminRoutes } from "../../src/http/server.ts";
import { apiReference, TOPIC_OF_TAG } from "./api-reference.ts";
import { docFiles, namedRoutes, ROOT, shape } from "./markdown.ts";

// The API reference (docs/api.md) against the routes' declarations, and every operation of the OpenAPI
// document against the docs: 32 of its 79 operations were named in no doc (the pricing configuration's
// CRUD, the audit log, a run's anomalies, two PDFs) until docs/api.md listed them all.

const docs = docFiles();
const openapi = buildOpenApi(adminRoutes) as { paths: Record<string, Record<string, unknown>> };

describe("the API reference, docs/api.md", () => {
  it("is what `npm run docs:api` writes from the code (run it after changing a route)", () => {
    const committed = readFileSync(join(ROOT, "docs", "api.md"), "utf8");
    // By line, so a failure shows the rows that differ rather than two cut strings.
    expect(committed.split("\n"), "docs/api.md is stale: run `npm run docs:api`").toEqual(
      apiReference().split("\n"),
    );
  });

  it("leaves no operation of the code unnamed in the docs", () => {
    const named = new Set(
      docs.flatMap((doc) => namedRoutes(doc.text).map((route) => shape(route.split("?")[0]!))),
    );
    const operations = Object.entries(openapi.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.length).toBeGreaterThan(70);
    expect(operations.filter((operation) => !named.has(shape(operation)))).toEqual([]);
  });

  it("is linked from each tag's topic doc, so a reader of the topic finds the operations", () => {
    const topics = new Set(
      Object.values(TOPIC_OF_TAG).flatMap((links) =>
        [...links.matchAll(/\]\(([\w.-]+\.md)/g)].map((m) => m[1]!),
      ),
    );
    const unlinked = [...topics].filter((file) => {
      const doc = docs.find((d) => d.path === `docs/${file}`);
      return doc === undefined || !/\]\(api\.md(#[\w-]*)?\)/.test(doc.text);
    });
    expect(unlinked).toEqual([]);
  });
});
