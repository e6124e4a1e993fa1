import { unpaidInvoices } from "../../billing/dunning/evaluate-dunning.ts";
import { daysBetween } from "../../billing/dunning/dunning-ladder.ts";
import { addDays, calendarDate } from "../../billing/runs/calendar-date.ts";
import type { ServiceContext } from "../../kernel/context.ts";

// What dunning (billing-rules §8, docs/dunning.md) means for the customer right now, in the customer's
// words: is anything overdue, what has dunning done to the account, and what comes next and when. Read
// only; the ladder itself runs in src/billing/dunning.

export interface DunningWarning {
  /** "restricted": dunning locked or suspended the account; "overdue": past due; "due_soon": reminder window. */
  level: "restricted" | "overdue" | "due_soon";
  /** The earliest unpaid invoice, which the ladder counts from. */
  invoice: { id: string; number: string | null; due_date: string; amount_due: bigint };
  overdue_invoices: number;
  /** Days past the due date (negative before it). */
  days_overdue: number;
  status: "active" | "locked" | "suspended";
  /** The next rung that does something the customer notices, if the ladder has one left. */
  next: { on: string; what: string } | null;
}

const STATUS_WORDS = {
  locked: "your account will be locked: you cannot create new servers",
  suspended: "your account will be suspended and your servers stopped",
} as const;

const EMAIL_WORDS: Record<string, string> = {
  reminder: "we send you a payment reminder",
  first_overdue: "we send you an overdue notice",
  second_overdue: "we send you a second overdue notice",
  final_notice: "we send you a final notice",
};

/** The later of two YYYY-MM-DD dates (they compare as text). */
function laterDate(a: string, b: string): string {
  return [a, b].sort()[1]!;
}

/** The customer's dunning state, or null when nothing is unpaid within the ladder's reach. */
export async function dunningWarningOf(
  ctx: ServiceContext,
  customerId: bigint,
): Promise<DunningWarning | null> {
  const customer = await ctx.db
    .selectFrom("customer")
    .select(["status", "status_source"])
    .where("id", "=", customerId)
    .executeTakeFirstOrThrow();
  const ladder = [...ctx.config.DUNNING_LADDER].sort((a, b) => a.days - b.days);
  const unpaid = await unpaidInvoices(ctx.db, customerId);
  const anchor = unpaid[0];
  const restricted = customer.status !== "active" && customer.status_source === "dunning";
  if (!anchor) return null;
  const today = calendarDate(ctx.now(), ctx.config.BILLING_TIME_ZONE);
  const offset = daysBetween(anchor.due_date, today);
  const firstRung = ladder[0]?.days ?? 1;
  if (!restricted && offset < Math.min(firstRung, 1)) return null;

  // Rungs already taken in the open episode are behind the customer; the next one is the first still ahead.
  const episode = await ctx.db
    .selectFrom("dunning_episode")
    .select("id")
    .where("customer_id", "=", customerId)
    .where("ended_at", "is", null)
    .executeTakeFirst();
  const taken = new Set(
    episode
      ? (
          await ctx.db
            .selectFrom("dunning_step")
            .select("step")
            .where("episode_id", "=", episode.id)
            .execute()
        ).map((s) => s.step)
      : [],
  );
  const rank = { active: 0, locked: 1, suspended: 2 } as const;
  // A rung counts when it would change something: a stronger status than now, or an e-mail. A rung already
  // due but not yet taken (the ladder runs hourly) is shown as due today.
  const ahead = ladder.filter(
    (r) => !taken.has(r.step) && (r.status ? rank[r.status] > rank[customer.status] : r.email !== undefined),
  );
  const nextRung = ahead.find((r) => r.status !== undefined) ?? ahead[0];
  const on = nextRung ? addDays(anchor.due_date, nextRung.days) : undefined;
  const next =
    nextRung && on
      ? {
          on: laterDate(on, today),
          what: nextRung.status
            ? STATUS_WORDS[nextRung.status]
            : (EMAIL_WORDS[nextRung.email!] ?? "a reminder"),
        }
      : null;
  return {
    level: restricted ? "restricted" : offset >= 1 ? "overdue" : "due_soon",
    invoice: anchor,
    overdue_invoices: unpaid.filter((u) => u.due_date < today).length,
    days_overdue: offset,
    status: customer.status,
    next,
  };
}
