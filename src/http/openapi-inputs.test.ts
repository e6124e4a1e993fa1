import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CreditNoteLineInput } from "../billing/credit-notes/credit-note-schemas.ts";
import { buildOpenApi } from "./openapi.ts";
import { adminRoutes } from "./server.ts";

// What the OpenAPI document says a body field takes, checked against what the route's own schema takes, value by
// value, with the validator a generated client would use. Before, `paid_at` and `as_of` took anything (an empty
// `{}` branch), amounts and token counts refused the strings of digits the API takes, and ids took 0.

type JsonSchema = Record<string, unknown>;
const doc = buildOpenApi(adminRoutes) as { paths: Record<string, Record<string, JsonSchema>> };
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false }));

function bodySchemaOf(method: string, url: string): JsonSchema {
  const operation = doc.paths[url]?.[method.toLowerCase()] as
    | { requestBody: { content: Record<string, { schema: JsonSchema }> } }
    | undefined;
  if (!operation) throw new Error(`no ${method} ${url} in the document`);
  return operation.requestBody.content["application/json"]!.schema;
}

/** The zod object a route validates its body with, under its optional, default and pipe wrappers. */
function bodyShapeOf(method: string, url: string): Record<string, z.ZodType> {
  const route = adminRoutes.find((r) => r.method === method && r.url === url);
  let schema: unknown = route?.body;
  for (let depth = 0; depth < 10 && !(schema instanceof z.ZodObject); depth++) {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) schema = schema.unwrap();
    else if (schema instanceof z.ZodPipe) schema = schema.in;
    else throw new Error(`no object body for ${method} ${url}`);
  }
  return (schema as z.ZodObject).shape as Record<string, z.ZodType>;
}

/** Values a client might send, as JSON.parse reads them. */
const SAMPLES: unknown[] = [
  null,
  true,
  0,
  1,
  7,
  -1,
  1.5,
  "7",
  "07",
  "0",
  "",
  "-7",
  "abc",
  1e15,
  1e15 + 1,
  "1000000000000000",
  "1000000000000001",
  2 ** 53 - 1,
  2 ** 53 + 2,
  "9223372036854775807",
  "9223372036854775808",
  "2026-11-20",
  "2026-11-20T10:00:00Z",
  "2026-11-20T10:00:00+01:00",
  "2026-02-30",
  {},
  [],
];

/** The body parser hands a number written with a fraction to the schemas as its text (json-body-issues.ts). */
const asTheServerReads = (v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? String(v) : v);

function disagreements(documented: JsonSchema, taken: z.ZodType): string[] {
  const validate = ajv.compile(documented);
  return SAMPLES.filter((v) => validate(v) !== taken.safeParse(asTheServerReads(v)).success).map(
    (v) => `${JSON.stringify(v)}: documented ${validate(v) ? "taken" : "refused"}`,
  );
}

const FIELDS: [method: string, url: string, field: string][] = [
  ["POST", "/api/v1/invoices/{id}/payments", "amount"],
  ["POST", "/api/v1/invoices/{id}/payments", "paid_at"],
  ["POST", "/api/v1/customers/{id}/payments", "amount"],
  ["POST", "/api/v1/customers/{id}/payments", "paid_at"],
  ["POST", "/api/v1/payments/{id}/refunds", "amount"],
  ["POST", "/api/v1/invoices/{id}/credit-notes", "amount"],
  ["POST", "/api/v1/invoices/{id}/mark-paid", "amount"],
  ["POST", "/api/v1/dunning/runs", "as_of"],
  ["POST", "/api/v1/customers", "client_group_id"],
  ["PATCH", "/api/v1/customers/{id}", "client_group_id"],
  ["POST", "/api/v1/discounts", "client_group_id"],
  ["POST", "/api/v1/discounts", "customer_id"],
  ["POST", "/api/v1/plan-prices", "tokens_per_hour"],
  ["POST", "/api/v1/plan-prices", "tokens_per_month"],
  ["POST", "/api/v1/plan-prices", "ip_tokens_per_hour"],
  ["PATCH", "/api/v1/plan-prices/{id}", "ip_tokens_per_month"],
];

describe("the OpenAPI document's body fields", () => {
  it.each(FIELDS)(
    "%s %s: %s takes what the route takes, and refuses what it refuses",
    (method, url, field) => {
      const documented = (bodySchemaOf(method, url)["properties"] as Record<string, JsonSchema>)[field]!;
      expect(disagreements(documented, bodyShapeOf(method, url)[field]!)).toEqual([]);
    },
  );

  it("says the same of a credit note line's amount", () => {
    const lines = (
      bodySchemaOf("POST", "/api/v1/invoices/{id}/credit-notes")["properties"] as Record<string, JsonSchema>
    ).lines as { items: { properties: Record<string, JsonSchema> } };
    expect(disagreements(lines.items.properties["amount"]!, CreditNoteLineInput.shape.amount)).toEqual([]);
  });

  it("has no union branch that reads as anything in what a client sends", () => {
    const open: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (node === null || typeof node !== "object") return;
      const o = node as Record<string, unknown>;
      for (const key of ["anyOf", "oneOf"]) {
        const branches = o[key];
        if (Array.isArray(branches) && branches.some((b) => Object.keys(b as object).length === 0))
          open.push(`${where}/${key}`);
      }
      for (const [key, value] of Object.entries(o)) if (key !== "responses") walk(value, `${where}/${key}`);
    };
    walk(doc.paths, "#/paths");
    expect(open).toEqual([]);
  });
});
