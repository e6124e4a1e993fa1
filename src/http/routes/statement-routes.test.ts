import { describe, expect, it } from "vitest";
import { workedExampleStatement } from "../../billing/documents/fixtures/money-in-documents.ts";
import { statementCsv } from "../../billing/documents/statement-csv.ts";
import { buildOpenApi } from "../openapi.ts";
import { adminRoutes } from "../server.ts";

// The CSV statement's operation names every column the CSV has, in its order: its summary listed the first
// eight until 2026-12-07, when the CSV had eleven (`received`, `refund_method` and `refunded_how` had been
// added after it). The header is read from a CSV the renderer writes, so a column added there and not to the
// operation fails here.

type Operation = { summary: string; description?: string };
const doc = buildOpenApi(adminRoutes) as { paths: Record<string, Record<string, Operation>> };

describe("GET /api/v1/customers/{id}/statement.csv in the OpenAPI document", () => {
  const header = statementCsv(workedExampleStatement).split("\r\n")[0]!.split(",");
  const operation = doc.paths["/api/v1/customers/{id}/statement.csv"]!["get"]!;

  it("lists every column of the CSV's header in its summary, in order", () => {
    expect(header.length).toBeGreaterThan(10);
    expect(operation.summary).toContain(`columns ${header.join(", ")}`);
  });

  it("says what each column holds in its description, in order", () => {
    const described = [...(operation.description ?? "").matchAll(/^- `([a-z_]+)`: \S/gm)].map((m) => m[1]);
    expect(described).toEqual(header);
  });
});
