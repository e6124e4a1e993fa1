import { IdParams } from "../../kernel/schemas.ts";
import { CreditNoteIdParams, renderCreditNote } from "../../billing/statements/render-credit-note.ts";
import { renderCustomerStatement } from "../../billing/statements/render-statement.ts";
import { STATEMENT_CSV_COLUMNS, statementCsvColumnList } from "../../billing/documents/statement-csv.ts";
import { defineRoute } from "../route.ts";

// Customer documents besides invoices: statements (CSV, PDF) and credit notes (HTML, PDF). The JSON
// statement is GET /customers/{id}/statement (payment-routes.ts).

export const statementRoutes = [
  defineRoute({
    method: "GET",
    url: "/api/v1/customers/{id}/statement.csv",
    tag: "payments",
    // Both from the CSV's own column list, so a column added there is named here too (statement-routes.test.ts).
    summary: `The customer's statement as CSV (RFC 4180), a row per entry, columns ${STATEMENT_CSV_COLUMNS.join(", ")}`,
    description: `Amounts come twice, as exact decimals and in minor units. The columns:\n\n${statementCsvColumnList()}`,
    params: IdParams,
    raw: { contentType: "text/csv; charset=utf-8" },
    handler: ({ ctx, params }) => renderCustomerStatement({ ctx, input: { id: params.id, format: "csv" } }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/customers/{id}/statement.pdf",
    tag: "payments",
    summary: "The customer's statement as a PDF document",
    params: IdParams,
    raw: { contentType: "application/pdf" },
    handler: ({ ctx, params }) => renderCustomerStatement({ ctx, input: { id: params.id, format: "pdf" } }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/credit-notes/{id}/html",
    tag: "payments",
    summary: "The credit note as an HTML page",
    params: CreditNoteIdParams,
    raw: { contentType: "text/html; charset=utf-8" },
    handler: ({ ctx, params }) => renderCreditNote({ ctx, input: { id: params.id, format: "html" } }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/credit-notes/{id}/pdf",
    tag: "payments",
    summary: "The credit note as a PDF document",
    params: CreditNoteIdParams,
    raw: { contentType: "application/pdf" },
    handler: ({ ctx, params }) => renderCreditNote({ ctx, input: { id: params.id, format: "pdf" } }),
  }),
];
