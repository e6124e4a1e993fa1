import { sql } from "kysely";
import { z } from "zod";
import { jsonText } from "../../kernel/json.ts";
import type { Db } from "../../kernel/context.ts";

// The month-to-date estimate's figures, shared by every instance on the database (migration 020). One row an
// hour: the instance that claims the hour computes it and writes its figures; the others show them. A claim
// is renewed while its computation runs, so one that has not been renewed for CLAIM_LAPSES_MS belongs to a
// process that died (or lost its database) and another instance may take the hour over. A claim's age is
// judged by the database's clock, as the job runner's locks are: instances whose own clocks disagree by more
// than the lapse would otherwise take each other's hours over and compute them twice.

/** How often a running computation renews its claim. */
export const CLAIM_RENEWED_MS = 30_000;
/** A claim not renewed for this long is taken over by the next view. */
export const CLAIM_LAPSES_MS = 4 * CLAIM_RENEWED_MS;

export interface EstimateFigures {
  customers: number;
  servers: number;
  tokens: bigint;
  revenue: { currency: string; amount: bigint; customers: number }[];
}

export interface StoredEstimate {
  period: { start: string; end: string };
  computedAt: string;
  figures: EstimateFigures;
}

const count = z.number().int().nonnegative();
const minorUnits = z
  .string()
  .regex(/^-?\d{1,30}$/)
  .transform((s) => BigInt(s));
// What a row's JSON holds, read back through this schema: a row that does not fit is not shown, rather than
// shown wrong. (Only this version writes the table: an older one refuses to start on a database it does not
// know, and a newer one that changes the figures brings a migration.)
const StoredFigures = z.object({
  customers: count,
  servers: count,
  tokens: minorUnits,
  revenue: z.array(z.object({ currency: z.string().min(1).max(8), amount: minorUnits, customers: count })),
});

function figuresText(figures: EstimateFigures): string {
  return jsonText({
    customers: figures.customers,
    servers: figures.servers,
    tokens: figures.tokens.toString(),
    revenue: figures.revenue.map((r) => ({ ...r, amount: r.amount.toString() })),
  });
}

/** The hour ending at `end` once computed, and the latest hour computed before it. */
export async function readEstimates(
  db: Db,
  end: Date,
): Promise<{ current?: StoredEstimate; last?: StoredEstimate }> {
  const rows = await db
    .selectFrom("month_to_date_estimate")
    .select(["period_start", "period_end", "computed_at", "figures"])
    .where("period_end", "<=", end)
    .where("computed_at", "is not", null)
    .orderBy("period_end", "desc")
    .limit(2)
    .execute();
  const stored = rows.flatMap((row) => {
    const figures = StoredFigures.safeParse(row.figures);
    if (!figures.success || row.computed_at === null) return [];
    const period = { start: row.period_start.toISOString(), end: row.period_end.toISOString() };
    return [{ period, computedAt: row.computed_at.toISOString(), figures: figures.data }];
  });
  const current = stored[0]?.period.end === end.toISOString() ? stored[0] : undefined;
  const last = current ? stored[1] : stored[0];
  return { ...(current ? { current } : {}), ...(last ? { last } : {}) };
}

/** The database's time less CLAIM_LAPSES_MS: a claim renewed before it has lapsed. */
const lapsedBefore = sql<Date>`now() - make_interval(secs => ${CLAIM_LAPSES_MS / 1000})`;

/**
 * Claims the hour for `by`: true when nobody had, or the claim held was not renewed for CLAIM_LAPSES_MS and the
 * hour has no figures yet. One statement, so of instances claiming at once exactly one gets true.
 */
export async function claimHour(db: Db, period: { start: Date; end: Date }, by: string): Promise<boolean> {
  const won = await db
    .insertInto("month_to_date_estimate")
    .values({ period_start: period.start, period_end: period.end, claimed_by: by, claimed_at: sql`now()` })
    .onConflict((oc) =>
      oc
        .column("period_end")
        .doUpdateSet({ claimed_by: by, claimed_at: sql`now()` })
        .where("month_to_date_estimate.computed_at", "is", null)
        .where("month_to_date_estimate.claimed_at", "<", lapsedBefore),
    )
    .returning("period_end")
    .executeTakeFirst();
  return won !== undefined;
}

/** Still computing: the claim stays `by`'s. False when it is no longer (taken over after a lapse). */
export async function renewClaim(db: Db, end: Date, by: string): Promise<boolean> {
  const renewed = await db
    .updateTable("month_to_date_estimate")
    .set({ claimed_at: sql`now()` })
    .where("period_end", "=", end)
    .where("claimed_by", "=", by)
    .where("computed_at", "is", null)
    .executeTakeFirst();
  return renewed.numUpdatedRows > 0n;
}

/**
 * The hour's figures, written when `by` still holds its claim (one that lapsed and was taken over leaves them
 * to the instance that took it). Earlier hours go in the same statement: only the latest figures are ever
 * shown, and a reader never sees the new hour beside the old one.
 */
export async function recordFigures(
  db: Db,
  end: Date,
  by: string,
  now: Date,
  figures: EstimateFigures,
): Promise<void> {
  // The hour before stays until this one's figures exist (views show it meanwhile): it goes only with a write.
  await db
    .with("written", (w) =>
      w
        .updateTable("month_to_date_estimate")
        .set({ computed_at: now, figures: figuresText(figures) })
        .where("period_end", "=", end)
        .where("claimed_by", "=", by)
        .where("computed_at", "is", null)
        .returning("period_end"),
    )
    .deleteFrom("month_to_date_estimate")
    .where("period_end", "<", end)
    .where(({ exists, selectFrom }) => exists(selectFrom("written").select("written.period_end")))
    .execute();
}

/** Gives the hour up (a failure, a stop): the next view, on any instance, claims it again. */
export async function releaseClaim(db: Db, end: Date, by: string): Promise<void> {
  await db
    .deleteFrom("month_to_date_estimate")
    .where("period_end", "=", end)
    .where("claimed_by", "=", by)
    .where("computed_at", "is", null)
    .execute();
}
