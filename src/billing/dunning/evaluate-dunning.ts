import { sql } from "kysely";
import { creditHeldForRefunds, creditKey, spendableOf } from "../payments/spendable-credit.ts";
import { enqueue } from "../../jobs/enqueue-job.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";
import { allocateOldestFirst } from "../payments/allocate.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import { actingSteps, daysBetween, isOverdueStep, stepsDue } from "./dunning-ladder.ts";
import { applyStatus, type CustomerState, planStatus, type StatusChange } from "./dunning-status.ts";

// One customer's dunning, evaluated as of an instant (billing-rules §8), in one transaction:
//  1. the customer row is locked, so two evaluations of one customer (two instances, a payment's job and the
//     schedule) run one after the other, and the second sees what the first did;
//  2. nothing overdue any more: the open episode closes and what dunning imposed is lifted;
//  3. rungs due: each is inserted into dunning_step (PK episode, step) ON CONFLICT DO NOTHING, and its action
//     (e-mail job, status change) happens only when that insert won — once per episode, whatever re-runs.

/** The step a run took, as the API and the CLI show it. */
export interface DunningAction {
  customer_id: bigint;
  episode_id: bigint;
  step: string;
  days: number | null;
  done_at: Date;
  details: Record<string, unknown>;
}

/** The step recorded when an episode ends; ladder rungs may not use the name (src/config/setting-shapes.ts). */
export const CLOSED_STEP = "closed";

interface Unpaid {
  id: string;
  number: string | null;
  due_date: string;
  amount_due: bigint;
}

/**
 * Finalized or partly paid invoices with an amount due in the ledger that the customer's credit does not
 * cover, earliest (extended) due date first. The credit in each currency is counted against that currency's
 * invoices in this order (allocateOldestFirst, as a payment is), and `amount_due` is what is left of each:
 * a customer whose credit covers what is overdue has nothing overdue (docs/dunning.md). Money events apply
 * such credit at once (docs/payments.md, "Credit"); books written before 2026-12 may still hold credit beside
 * an open invoice, and dunning then suspended a customer in net credit.
 */
export async function unpaidInvoices(trx: Tx, customerId: bigint): Promise<Unpaid[]> {
  const rows = await trx
    .selectFrom("invoice as i")
    .leftJoin("invoice_due_extension as x", "x.invoice_id", "i.id")
    .select([
      "i.id",
      "i.number",
      "i.currency_code",
      sql<string>`coalesce(x.due_date, i.due_date)`.as("due_date"),
    ])
    .where("i.customer_id", "=", customerId)
    .where("i.status", "in", ["finalized", "partially_paid"])
    .where("i.due_date", "is not", null)
    .execute();
  const due = await invoiceAmountsDue(
    trx,
    rows.map((r) => r.id),
  );
  const owed = rows
    .map((r) => ({ ...r, amount_due: due.get(r.id) ?? 0n }))
    .filter((r) => r.amount_due > 0n)
    .sort((a, b) =>
      a.due_date === b.due_date ? a.id.localeCompare(b.id) : a.due_date < b.due_date ? -1 : 1,
    );
  const covered = await creditCover(trx, customerId, owed);
  return owed
    .map(({ currency_code: _, ...r }) => ({ ...r, amount_due: r.amount_due - (covered.get(r.id) ?? 0n) }))
    .filter((r) => r.amount_due > 0n);
}

/** Per invoice, what the customer's credit in its currency covers of it, given the invoices in dunning order. */
async function creditCover(
  trx: Tx,
  customerId: bigint,
  owed: readonly { id: string; currency_code: string; amount_due: bigint }[],
): Promise<Map<string, bigint>> {
  if (owed.length === 0) return new Map();
  const credits = await trx
    .selectFrom("ledger_entry")
    // numeric, read as digits: a customer's sums may pass int8 (src/billing/ledger/ledger.ts).
    .select(["currency_code", sql<string>`-sum(amount)`.as("credit")])
    .where("customer_id", "=", customerId)
    .where("account", "=", "credit")
    .groupBy("currency_code")
    .execute();
  // Credit held for a credit note's pending card refund goes back to the card: it covers nothing.
  const held = await creditHeldForRefunds(trx, [customerId]);
  const covered = new Map<string, bigint>();
  for (const c of credits) {
    const credit = spendableOf(BigInt(c.credit), held.get(creditKey(customerId, c.currency_code)) ?? 0n);
    if (credit <= 0n) continue;
    const inCurrency = owed
      .filter((o) => o.currency_code === c.currency_code)
      .map((o) => ({ id: o.id, due: o.amount_due }));
    for (const a of allocateOldestFirst(credit, inCurrency).allocations) covered.set(a.invoiceId, a.amount);
  }
  return covered;
}

export async function evaluateCustomerDunning(
  ctx: ServiceContext,
  customerId: bigint,
  requestedAsOf: Date,
): Promise<DunningAction[]> {
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const customer = await trx
      .selectFrom("customer")
      .select(["id", "status", "status_source", "status_reason", "dunning_exempt"])
      .where("id", "=", customerId)
      .forUpdate()
      .executeTakeFirst();
    if (!customer) throw ServiceError.notFound(`customer ${customerId}`);
    const ladder = tx.config.DUNNING_LADDER;
    let episode = await trx
      .selectFrom("dunning_episode")
      .selectAll()
      .where("customer_id", "=", customerId)
      .where("ended_at", "is", null)
      .executeTakeFirst();
    let state: CustomerState = customer;
    const done = episode ? await stepRows(trx, episode.id) : [];
    let asOf = requestedAsOf;
    const latest = episode ? latestStepAt(episode.started_at, done) : undefined;
    if (latest !== undefined && asOf < latest) {
      // Amounts due are the ledger's as of now, so a run as of an earlier instant than the episode's latest step
      // is no re-evaluation of it: closing it would lift a suspension of a customer who still owes, and the next
      // run would open a new episode and send its notices again. Such an episode is left as it is.
      if (isPastRun(tx.now(), asOf)) return [];
      // Evaluated as of now, but a step was taken as of a later instant (a sandbox run's `as_of` in the
      // future): the episode's clock does not run back, so a payment's own evaluation judges the invoices as
      // of that step. As of now a suspension for an invoice not yet overdue on the real calendar was lifted
      // by a partial payment (until 2026-12-06).
      asOf = latest;
    }
    const today = calendarDate(asOf, tx.config.BILLING_TIME_ZONE);
    const unpaid = await unpaidInvoices(trx, customerId);
    const anchor = unpaid[0];
    const offset = anchor ? daysBetween(anchor.due_date, today) : undefined;
    const overdue = offset !== undefined && offset >= 1;
    const actions: DunningAction[] = [];

    if (episode && !overdue) {
      // An episode of reminders only stays open while the invoice it reminded of is unpaid, so that the
      // reminder is not sent again — and no longer, or the next invoice's reminder would count as taken; one
      // that reached an overdue rung ends as soon as nothing is overdue.
      const reachedOverdue = done.some((s) => {
        const rung = ladder.find((r) => r.step === s.step);
        return rung !== undefined && isOverdueStep(rung);
      });
      const remindedStillUnpaid = done.some((s) => {
        const remindedOf = (s.details as { invoice_id?: string } | null)?.invoice_id;
        return unpaid.some((u) => u.id === remindedOf);
      });
      if (!remindedStillUnpaid || reachedOverdue) {
        const closed = await closeEpisode(tx, state, episode, done, asOf);
        actions.push(closed.action);
        state = closed.state;
        episode = undefined;
      }
    }

    // An exempt customer, or any while dunning is switched off (DUNNING_ENABLED=false), takes no new rung; an
    // open episode stays open (and still ends, lifting what it imposed, once the customer has paid).
    if (!tx.config.DUNNING_ENABLED || customer.dunning_exempt || offset === undefined) return actions;
    const due = stepsDue(ladder, offset);
    if (due.length === 0) return actions;

    if (!episode) {
      await trx
        .insertInto("dunning_episode")
        .values({ customer_id: customerId, started_at: asOf, ended_at: null })
        .onConflict((oc) => oc.column("customer_id").where("ended_at", "is", null).doNothing())
        .execute();
      episode = await trx
        .selectFrom("dunning_episode")
        .selectAll()
        .where("customer_id", "=", customerId)
        .where("ended_at", "is", null)
        .executeTakeFirstOrThrow();
    }
    const episodeId = episode.id;
    const taken = new Set((await stepRows(trx, episodeId)).map((s) => s.step));
    const newlyDue = due.filter((s) => !taken.has(s.step));
    const acting = actingSteps(newlyDue);
    const reason = `dunning: invoice ${anchor!.number ?? anchor!.id} overdue since ${anchor!.due_date}`;
    const mailable = tx.config.SMTP_HOST !== undefined;

    for (const rung of newlyDue) {
      const details: Record<string, unknown> = {
        invoice_id: anchor!.id,
        due_date: anchor!.due_date,
        amount_due: anchor!.amount_due.toString(),
        overdue_invoices: unpaid.filter((u) => u.due_date < today).length,
      };
      if (rung.email) {
        details["email"] = rung.email;
        details["mail"] =
          rung !== acting.email
            ? `not sent: superseded by ${acting.email!.step}`
            : mailable
              ? "queued"
              : "not sent: no SMTP server is configured (SMTP_HOST)";
      }
      let change: StatusChange | undefined;
      if (rung.status) {
        if (rung !== acting.status) details["status"] = `superseded by ${acting.status!.step}`;
        else {
          const plan = planStatus(state, rung.status);
          if ("change" in plan) {
            change = plan.change;
            details["status_change"] = change;
          } else details["status"] = plan.unchanged;
        }
      }
      if (!rung.email && !rung.status) details["note"] = "recorded for staff; the ladder takes no action";
      const inserted = await trx
        .insertInto("dunning_step")
        .values({ episode_id: episodeId, step: rung.step, done_at: asOf, details: JSON.stringify(details) })
        .onConflict((oc) => oc.columns(["episode_id", "step"]).doNothing())
        .returning("step")
        .executeTakeFirst();
      if (!inserted) continue; // taken meanwhile: its action was done by whoever inserted it
      if (details["mail"] === "queued") {
        await enqueue(
          trx,
          "dunning.email",
          { episode_id: String(episodeId), step: rung.step },
          // A key of their own: an e-mail retried while SMTP is down must not hold back the customer's
          // dunning.evaluate jobs (`dunning:<id>`), which lift a suspension once the customer pays.
          { slot: `dunning-mail:${episodeId}:${rung.step}`, orderingKey: `dunning-mail:${customerId}` },
        );
      }
      if (change) {
        if (change.source_before !== "dunning") {
          // The status dunning is about to change is not its own (the customer's before the episode, or one
          // staff set since an earlier rung): that is what paying restores, so it is recorded afresh.
          await trx
            .updateTable("dunning_episode")
            .set({ status_before: change.from, source_before: change.source_before })
            .where("id", "=", episodeId)
            .execute();
          episode = { ...episode, status_before: change.from, source_before: change.source_before };
        }
        await applyStatus(trx, tx, state, { status: change.to, source: "dunning", reason });
        state = { ...state, status: change.to, status_source: "dunning", status_reason: reason };
      }
      actions.push({
        customer_id: customerId,
        episode_id: episodeId,
        step: rung.step,
        days: rung.days,
        done_at: asOf,
        details,
      });
    }
    return actions;
  });
}

/** An evaluation clearly earlier than now (a run's `as_of`), not one as of now on a clock a little behind. */
const PAST_TOLERANCE_MS = 60_000;
function isPastRun(now: Date, asOf: Date): boolean {
  return asOf.getTime() < now.getTime() - PAST_TOLERANCE_MS;
}

function latestStepAt(startedAt: Date, done: { done_at: Date }[]): Date {
  // biome-ignore lint/complexity/useMathMinMax: these are Dates; Math.max would return a number, not the Date.
  return done.reduce((latest, s) => (s.done_at > latest ? s.done_at : latest), startedAt);
}

async function stepRows(trx: Tx, episodeId: bigint) {
  return trx
    .selectFrom("dunning_step")
    .select(["step", "done_at", "details"])
    .where("episode_id", "=", episodeId)
    .orderBy("done_at")
    .orderBy("step")
    .execute();
}

/**
 * Ends the episode. Only what dunning imposed is lifted: when the status is still dunning's, it goes back to
 * the last status dunning replaced that was not its own (a staff lock that dunning escalated becomes the
 * staff lock again, with its reason). A status staff set since dunning's last change stays as it is.
 */
async function closeEpisode(
  tx: ServiceContext & { db: Tx },
  state: CustomerState,
  episode: {
    id: bigint;
    customer_id: bigint;
    status_before: CustomerState["status"] | null;
    source_before: CustomerState["status_source"];
  },
  done: { step: string; details: unknown }[],
  asOf: Date,
): Promise<{ action: DunningAction; state: CustomerState }> {
  const trx = tx.db;
  await trx.updateTable("dunning_episode").set({ ended_at: asOf }).where("id", "=", episode.id).execute();
  const details: Record<string, unknown> = { reason: "nothing is overdue any more" };
  let next = state;
  if (state.status_source === "dunning" && episode.status_before !== null) {
    // The reason goes with the state recorded on the episode: that of the latest change from a status that
    // was not dunning's (`done` is in the order the steps were taken).
    const replaced = done
      .map((s) => (s.details as { status_change?: StatusChange } | null)?.status_change)
      .filter((c) => c !== undefined && c.source_before !== "dunning")
      .at(-1);
    const restored = {
      status: episode.status_before,
      source: episode.source_before,
      reason: replaced?.reason_before ?? null,
    };
    await applyStatus(trx, tx, state, restored);
    details["restored"] = { from: state.status, to: restored.status, source: restored.source };
    next = {
      ...state,
      status: restored.status,
      status_source: restored.source,
      status_reason: restored.reason,
    };
  } else if (state.status !== "active") {
    details["kept"] =
      `${state.status} (set by ${state.status_source ?? "staff"}): only dunning's own changes are lifted`;
  }
  await trx
    .insertInto("dunning_step")
    .values({ episode_id: episode.id, step: CLOSED_STEP, done_at: asOf, details: JSON.stringify(details) })
    .onConflict((oc) => oc.columns(["episode_id", "step"]).doNothing())
    .execute();
  return {
    action: {
      customer_id: episode.customer_id,
      episode_id: episode.id,
      step: CLOSED_STEP,
      days: null,
      done_at: asOf,
      details,
    },
    state: next,
  };
}
