import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { leftOutReason, leftOutRoutes } from "./openapi-other-routes.ts";

// The OpenAPI document against the server's live route table: every route the server answers is described,
// or left out with a reason in the generator (openapi-other-routes.ts). HEAD and GET /metrics were answered
// and described nowhere, as were /healthz, /readyz and the document itself. What the described service
// routes answer is checked against the document with the validator a generated client would use.

type JsonSchema = Record<string, unknown>;
type Operation = { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> };

// Another path than the default, so that the left-out GetTokenPricing route follows the setting.
const PRICING_PATH = "/billing/pricing";

let handle: DatabaseHandle;
let server: TestServer;
let doc: { paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, { PRICING_PATH });
  doc = (await server.api("GET", "/api/v1/openapi.json")).body;
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** The router's `/customers/:id` is the document's `/customers/{id}`. */
const documented = (method: string, url: string) =>
  doc.paths[url.replace(/:(\w+)/g, "{$1}")]?.[method.toLowerCase()] !== undefined;

describe("the OpenAPI document and the routes the server answers", () => {
  it("describes every route, or says in the generator why it leaves it out", () => {
    const routes = server.app.routeTable;
    expect(routes.length).toBeGreaterThan(100);
    const neither = routes
      .filter((r) => !documented(r.method, r.url) && leftOutReason(r, documented, PRICING_PATH) === undefined)
      .map((r) => `${r.method} ${r.url}`);
    expect(neither).toEqual([]);
    for (const route of ["GET /metrics", "GET /healthz", "GET /readyz", "GET /api/v1/openapi.json"]) {
      const [method, url] = route.split(" ") as [string, string];
      expect(documented(method, url), route).toBe(true);
    }
  });

  it("leaves out only routes the server has, and none the document describes", () => {
    for (const left of leftOutRoutes(PRICING_PATH)) {
      const matching = server.app.routeTable.filter(
        (r) =>
          left.methods.includes(r.method) &&
          (r.url === left.url || (left.below === true && r.url.startsWith(`${left.url}/`))),
      );
      expect(matching.length, `${left.methods.join(",")} ${left.url}`).toBeGreaterThan(0);
      expect(matching.filter((r) => documented(r.method, r.url)).map((r) => r.url)).toEqual([]);
    }
  });

  it("describes what the service's own routes answer", async () => {
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    const ajv = addFormats(new Ajv({ strict: false }));
    for (const path of ["/healthz", "/readyz", "/api/v1/openapi.json"]) {
      const answer = await fetch(server.url + path);
      const described = doc.paths[path]!["get"]!.responses[String(answer.status)];
      expect(described, `${path} ${answer.status}`).toBeDefined();
      const validate = ajv.compile(described!.content!["application/json"]!.schema);
      expect(validate(await answer.json()), `${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    const scrape = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(scrape.status).toBe(200);
    const [mediaType] = Object.keys(doc.paths["/metrics"]!["get"]!.responses["200"]!.content!);
    expect(scrape.headers.get("content-type")?.split(";")[0]).toBe(mediaType);
    const refused = await fetch(`${server.url}/metrics`);
    expect(Object.keys(doc.paths["/metrics"]!["get"]!.responses)).toContain(String(refused.status));
  });
});
