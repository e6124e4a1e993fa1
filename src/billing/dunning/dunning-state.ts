import { ServiceError } from "../../kernel/errors.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";
import { InvoiceIdParams } from "../invoices/invoice-schemas.ts";

// What staff read about dunning (billing-rules §8, docs/dunning.md): whether a customer is exempt, and the
// rungs its open episode has taken with their dates; and an invoice's due-date extension. Read only: the
// exemption and the extension are changed by setDunningExemption and extendDueDate, as through the API.

export interface DunningStepTaken {
  step: string;
  done_at: Date;
  details: Record<string, unknown>;
}

export interface CustomerDunning {
  exempt: boolean;
  /** The open overdue episode, or null when none is open. */
  episode: { started_at: Date; steps: DunningStepTaken[] } | null;
}

export const getCustomerDunning = defineVerb(IdParams, async ({ ctx, input }): Promise<CustomerDunning> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const customer = await ctx.db
    .selectFrom("customer")
    .select("dunning_exempt")
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!customer) throw ServiceError.notFound(`customer ${input.id}`);
  const episode = await ctx.db
    .selectFrom("dunning_episode")
    .select(["id", "started_at"])
    .where("customer_id", "=", input.id)
    .where("ended_at", "is", null)
    .executeTakeFirst();
  if (!episode) return { exempt: customer.dunning_exempt, episode: null };
  const steps = await ctx.db
    .selectFrom("dunning_step")
    .select(["step", "done_at", "details"])
    .where("episode_id", "=", episode.id)
    .execute();
  // One evaluation that catches up takes several rungs at the same instant: those keep the ladder's order
  // (a reminder before the first overdue e-mail), not their names'. A rung no longer in the ladder goes last.
  const rungOf = new Map(ctx.config.DUNNING_LADDER.map((r, i) => [r.step, i]));
  const rank = (step: string) => rungOf.get(step) ?? Number.MAX_SAFE_INTEGER;
  steps.sort(
    (a, b) =>
      a.done_at.getTime() - b.done_at.getTime() ||
      rank(a.step) - rank(b.step) ||
      a.step.localeCompare(b.step),
  );
  return {
    exempt: customer.dunning_exempt,
    episode: {
      started_at: episode.started_at,
      steps: steps.map((s) => ({ step: s.step, done_at: s.done_at, details: detailsOf(s.details) })),
    },
  };
});

/** A step's details as stored (jsonb; PGlite and PostgreSQL both hand back an object, a string is parsed). */
function detailsOf(value: unknown): Record<string, unknown> {
  const parsed = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
}

/** The invoice's due-date extension for dunning, or null when it has none. */
export const getDueDateExtension = defineVerb(
  InvoiceIdParams,
  async ({ ctx, input }): Promise<{ due_date: string; reason: string } | null> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    const row = await ctx.db
      .selectFrom("invoice_due_extension")
      .select(["due_date", "reason"])
      .where("invoice_id", "=", input.id)
      .executeTakeFirst();
    return row ?? null;
  },
);
