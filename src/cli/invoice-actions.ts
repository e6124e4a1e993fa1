import type { Invoice } from "../billing/invoices/invoice-schemas.ts";
import { reissueInvoice, VOID_WITH_REISSUE_HINT } from "../billing/invoices/reissue-invoice.ts";
import { voidInvoice } from "../billing/invoices/void-invoice.ts";
import { ServiceError } from "../kernel/errors.ts";
import { jsonText } from "../kernel/json.ts";
import { invoiceIdOf } from "./invoice-argument.ts";
import { withSystemContext } from "./with-context.ts";

// `tokenbill invoices void` and `reissue`: the admin API's POST /api/v1/invoices/{id}/void and …/reissue
// (docs/billing-cycle.md, "Voiding and reissuing"), the same verbs, audit rows and refusals, as the CLI actor.

const nameOf = (invoice: Invoice) => invoice.number ?? `draft ${invoice.id}`;

/** The line a person reads; with --json, the invoice as the API answers it in `data`. */
function report(invoice: Invoice, json: boolean | undefined, line: string): void {
  process.stdout.write(json ? `${jsonText(invoice, 2)}\n` : `${line}\n`);
}

/**
 * The refusal to reissue an invoice not yet void, in the command line's terms: the API's hint names its body
 * field (`"reissue": true`); here the same is `invoices void`'s --reissue option.
 */
function inCommandTerms(error: unknown, given: string): unknown {
  if (!(error instanceof ServiceError && error.message.includes(VOID_WITH_REISSUE_HINT))) return error;
  const hint = `(tokenbill invoices void --invoice ${given} --reason … --reissue does both)`;
  return new ServiceError(error.code, error.message.replace(VOID_WITH_REISSUE_HINT, hint), error.issues);
}

const rerun = (invoice: Invoice) =>
  `the next run of ${invoice.period} (tokenbill billing run --period ${invoice.period}) bills the customer on a new invoice`;

export async function voidAction(opts: {
  invoice: string;
  reason: string;
  reissue?: boolean;
  json?: boolean;
}): Promise<void> {
  await withSystemContext(async (ctx) => {
    const id = await invoiceIdOf(ctx, opts.invoice);
    const invoice = await voidInvoice({
      ctx,
      input: { id, reason: opts.reason, reissue: opts.reissue === true },
    });
    const released = invoice.void?.released_at ? `; released for reissue: ${rerun(invoice)}` : "";
    report(invoice, opts.json, `invoice ${nameOf(invoice)} is void; its number stays used${released}`);
  });
}

export async function reissueAction(opts: { invoice: string; json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const id = await invoiceIdOf(ctx, opts.invoice);
    const invoice = await reissueInvoice({ ctx, input: { id } }).catch((error: unknown) => {
      throw inCommandTerms(error, opts.invoice);
    });
    report(invoice, opts.json, `invoice ${nameOf(invoice)} is released for reissue: ${rerun(invoice)}`);
  });
}

/** The verb inputs the commands feed (cli-text-input.ts, feedsVerbs). */
export const invoiceVerbInputs = { void: voidInvoice.input };
