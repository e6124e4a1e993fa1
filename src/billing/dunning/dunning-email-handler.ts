import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../../config.ts";
import type { Database } from "../../db/schema.ts";
import { type SmtpSettings, sendMail } from "../documents/invoice-mail.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import type { JobHandler } from "../../jobs/job-runner.ts";
import type { JobPayload } from "../../jobs/job-payloads.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import type { DunningEmailKind } from "./dunning-ladder.ts";
import { buildDunningEmail, type DunningMail } from "./dunning-mail.ts";
import { unpaidInvoices } from "./evaluate-dunning.ts";

export interface DunningEmailDeps {
  db: Kysely<Database>;
  config: Config;
  logger: Logger;
  smtp: SmtpSettings;
  seller: { name: string; email: string };
  /** The SMTP transport (invoice-mail.ts's sendMail); tests may pass their own. */
  send?: (smtp: SmtpSettings, mail: DunningMail) => Promise<{ messageId: string }>;
  /** The clock (the service context's); whether the step's invoice is still overdue is judged by it. */
  now?: () => Date;
}

/**
 * `dunning.email`: the e-mail a dunning step decided, rendered when it is sent so that it lists what is
 * still due then. Nothing is sent when the episode ended meanwhile, nor when the invoice the step was about
 * is paid (or, for an overdue notice, no longer overdue) while the episode's end is still to be evaluated:
 * an e-mail that waited out an SMTP outage must not tell a customer who paid that they are suspended. SMTP
 * failures are retried by the runner, as for invoices.
 */
export function dunningEmailHandler(deps: DunningEmailDeps): JobHandler<JobPayload<"dunning.email">> {
  const send = deps.send ?? sendMail;
  return async (job, run) => {
    const episodeId = BigInt(job.payload.episode_id);
    const log = { job: String(job.id), episode: job.payload.episode_id, step: job.payload.step };
    const row = await deps.db
      .selectFrom("dunning_step as s")
      .innerJoin("dunning_episode as e", "e.id", "s.episode_id")
      .innerJoin("customer as c", "c.id", "e.customer_id")
      .select(["s.details", "e.ended_at", "c.id as customer_id", "c.name", "c.email", "c.currency_code"])
      .where("s.episode_id", "=", episodeId)
      .where("s.step", "=", job.payload.step)
      .executeTakeFirst();
    const details = row?.details as { email?: DunningEmailKind; invoice_id?: string } | undefined;
    const kind = details?.email;
    if (!row || !kind) {
      deps.logger.warn(log, "dunning e-mail not sent: its step is gone or sends no e-mail");
      return;
    }
    if (row.ended_at !== null) {
      deps.logger.info(log, "dunning e-mail not sent: the customer paid before it went out");
      return;
    }
    const invoices = await unpaidInvoices(deps.db, row.customer_id);
    const currency = await deps.db
      .selectFrom("currency")
      .selectAll()
      .where("code", "=", row.currency_code)
      .executeTakeFirstOrThrow();
    if (invoices.length === 0) {
      deps.logger.info(log, "dunning e-mail not sent: nothing is due any more");
      return;
    }
    const stale = staleBecause(kind, details.invoice_id, invoices, deps);
    if (stale) {
      deps.logger.info({ ...log, invoice: details.invoice_id }, `dunning e-mail not sent: ${stale}`);
      return;
    }
    const mail = buildDunningEmail({
      kind,
      customer: { name: row.name, email: row.email },
      seller: deps.seller,
      from: deps.config.MAIL_FROM,
      currency: currencyDisplayOf(currency),
      invoices: invoices.map((i) => ({
        number: i.number ?? i.id,
        due_date: i.due_date,
        amount_due: i.amount_due,
      })),
    });
    // Given up on by the runner meanwhile (JobRun.signal): the next attempt decides again and sends.
    run?.signal.throwIfAborted();
    const { messageId } = await send(deps.smtp, mail);
    deps.logger.info({ ...log, messageId }, "dunning e-mail sent");
  };
}

/**
 * Why the step's e-mail would no longer be true, or undefined: a reminder whose invoice is paid, an overdue
 * notice when nothing is overdue any more (paid, credited, or extended; another overdue invoice keeps it
 * true, and the e-mail lists what is due then).
 */
function staleBecause(
  kind: DunningEmailKind,
  invoiceId: string | undefined,
  unpaid: { id: string; due_date: string }[],
  deps: Pick<DunningEmailDeps, "config" | "now">,
): string | undefined {
  if (kind === "reminder")
    return unpaid.some((i) => i.id === invoiceId) ? undefined : `invoice ${invoiceId} is no longer unpaid`;
  const today = calendarDate((deps.now ?? (() => new Date()))(), deps.config.BILLING_TIME_ZONE);
  return unpaid.some((i) => i.due_date < today) ? undefined : "nothing is overdue any more";
}
