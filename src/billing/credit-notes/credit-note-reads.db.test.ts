import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { statementCounter } from "../testing/statement-counter.ts";
import { getCreditNote, readCreditNote } from "./get-credit-note.ts";
import { issueCreditNote } from "./issue-credit-note.ts";

// A credit note read with where its money went (`settled`, the API and the CLI) costs one statement more than
// read without it (the console's page and PDF, which do not show it): until 2026-12-07 every reader paid it.

const file = serverPerFile();
const { context, counted } = statementCounter();
let ctx: ServiceContext;
let noteId: string;

beforeAll(async () => {
  ctx = context(file.handle, new Date("2026-11-20T10:00:00Z"));
  const [customerId] = await createCustomers(file.handle, [{ email: "credit-note-reads@example.com" }]);
  const [invoiceId] = await issueInvoices(file.handle.db, [
    { customerId: customerId!, total: 1000n, lines: [1000n] },
  ]);
  const note = await issueCreditNote({
    ctx,
    input: { invoice_id: invoiceId!, amount: 300n, reason: "outage" },
  });
  noteId = note.id;
});

const statementsOf = async (read: () => Promise<unknown>) => (await counted(read)).statements;

describe("reading one credit note", () => {
  it("without the sums is one statement fewer, and answers no `settled`", async () => {
    const bare = await readCreditNote({ ctx, input: { id: noteId } });
    expect(bare.id).toBe(noteId);
    expect(bare).not.toHaveProperty("settled");
    const withSums = await statementsOf(() => getCreditNote({ ctx, input: { id: noteId } }));
    const without = await statementsOf(() => readCreditNote({ ctx, input: { id: noteId } }));
    expect(without).toBe(withSums - 1);
  });

  it("through the API still answers where its money went", async () => {
    const answer = await file.server.api("GET", `/api/v1/credit-notes/${noteId}`);
    expect(answer.status).toBe(200);
    // An unpaid invoice's note lowers what is due: all of its $3.00 went to the invoice.
    expect(answer.body.data.settled).toEqual({ invoice: 300, refund: 0, credit: 0 });
  });
});
