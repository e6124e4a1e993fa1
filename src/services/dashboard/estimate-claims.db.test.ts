import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import {
  CLAIM_LAPSES_MS,
  CLAIM_RENEWED_MS,
  claimHour,
  type EstimateFigures,
  readEstimates,
  recordFigures,
  renewClaim,
} from "./estimate-claims.ts";

// The month-to-date estimate's hours as instances share them in the database: who computes an hour, when
// another may take it over, and whose figures are kept.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());
beforeEach(async () => {
  await handle.db.deleteFrom("month_to_date_estimate").execute();
});

const HOUR = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-11-14T10:00:00Z") };
const T0 = new Date("2026-11-14T10:05:00Z");
const later = (ms: number) => new Date(T0.getTime() + ms);
/** Time passing for the claims, on the database's clock (which judges them): every claim made `ms` earlier. */
const ageClaims = (ms: number) =>
  handle.db
    .updateTable("month_to_date_estimate")
    .set({ claimed_at: sql`claimed_at - make_interval(secs => ${ms / 1000})` })
    .execute();
const FIGURES: EstimateFigures = {
  customers: 2,
  servers: 3,
  tokens: 12_345_678_901_234_567_890n,
  revenue: [
    { currency: "EUR", amount: 98_765_432_109_876_543_210n, customers: 1 },
    { currency: "USD", amount: 1020n, customers: 1 },
  ],
};

describe("the estimate's hours in the database", () => {
  it("lets exactly one of several instances claiming at once compute the hour", async () => {
    const won = await Promise.all(
      ["estimator_a", "estimator_b", "estimator_c", "estimator_d"].map((by) =>
        claimHour(handle.db, HOUR, by),
      ),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it("leaves a renewed claim to its instance and lets another take over one that lapsed", async () => {
    expect(await claimHour(handle.db, HOUR, "estimator_a")).toBe(true);
    await ageClaims(CLAIM_RENEWED_MS);
    expect(await claimHour(handle.db, HOUR, "estimator_b")).toBe(false);
    await ageClaims(2 * CLAIM_RENEWED_MS);
    expect(await renewClaim(handle.db, HOUR.end, "estimator_a")).toBe(true);
    await ageClaims(CLAIM_RENEWED_MS + 1000);
    // Lapsed counted from the claim (CLAIM_LAPSES_MS + 1 s ago), but renewed since: still a's.
    expect(await claimHour(handle.db, HOUR, "estimator_b")).toBe(false);
    // No renewal for longer than CLAIM_LAPSES_MS: b takes it, and a can no longer renew it.
    await ageClaims(CLAIM_LAPSES_MS);
    expect(await claimHour(handle.db, HOUR, "estimator_b")).toBe(true);
    expect(await renewClaim(handle.db, HOUR.end, "estimator_a")).toBe(false);
  });

  it("keeps the figures of the instance holding the claim, exactly, and only the latest hour", async () => {
    const before = { start: HOUR.start, end: new Date("2026-11-14T09:00:00Z") };
    await claimHour(handle.db, before, "estimator_a");
    await recordFigures(handle.db, before.end, "estimator_a", later(-3_600_000), {
      ...FIGURES,
      customers: 1,
    });

    await claimHour(handle.db, HOUR, "estimator_a");
    await ageClaims(CLAIM_LAPSES_MS + 1000);
    await claimHour(handle.db, HOUR, "estimator_b");
    // a's computation ends after b took the hour over: its figures are not written.
    await recordFigures(handle.db, HOUR.end, "estimator_a", later(CLAIM_LAPSES_MS + 2000), FIGURES);
    const meanwhile = await readEstimates(handle.db, HOUR.end);
    expect(meanwhile.current).toBeUndefined();
    expect(meanwhile.last?.figures.customers).toBe(1);

    await recordFigures(handle.db, HOUR.end, "estimator_b", later(CLAIM_LAPSES_MS + 3000), FIGURES);
    const done = await readEstimates(handle.db, HOUR.end);
    expect(done.current).toEqual({
      period: { start: "2026-11-01T00:00:00.000Z", end: "2026-11-14T10:00:00.000Z" },
      computedAt: later(CLAIM_LAPSES_MS + 3000).toISOString(),
      figures: FIGURES,
    });
    // The hour before is gone with the new figures.
    expect(done.last).toBeUndefined();
  });

  // PostgreSQL only: PGlite has one session, so no reader runs between a write's statements.
  it.runIf(process.env["DATABASE_URL"])(
    "never shows a reader the new hour beside the old one while the old one is being removed",
    async () => {
      const before = { start: HOUR.start, end: new Date("2026-11-14T09:00:00Z") };
      await claimHour(handle.db, before, "estimator_a");
      await recordFigures(handle.db, before.end, "estimator_a", later(-3_600_000), FIGURES);
      await claimHour(handle.db, HOUR, "estimator_a");
      /** The hours with figures, as a reader in another session sees them. */
      const hours = async () =>
        (
          await handle.db
            .selectFrom("month_to_date_estimate")
            .select("period_end")
            .where("computed_at", "is not", null)
            .orderBy("period_end")
            .execute()
        ).map((row) => row.period_end.toISOString());

      // Another session holds the hour before's row, so its removal waits; a reader meanwhile.
      let writing: Promise<void> | undefined;
      const seenWhileWaiting = await handle.db.transaction().execute(async (trx) => {
        await trx
          .selectFrom("month_to_date_estimate")
          .select("period_end")
          .where("period_end", "=", before.end)
          .forUpdate()
          .execute();
        writing = recordFigures(handle.db, HOUR.end, "estimator_a", T0, FIGURES);
        await expect
          .poll(async () => {
            const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
              where wait_event_type = 'Lock' and datname = current_database()`.execute(handle.db);
            return waiting.rows[0]!.n;
          })
          .toBeGreaterThan(0);
        return hours();
      });
      await writing;
      // Before the removal is through, only the hour before (its figures); after it, only the new hour.
      expect(seenWhileWaiting).toEqual([before.end.toISOString()]);
      expect(await hours()).toEqual([HOUR.end.toISOString()]);
    },
  );

  it("shows no figures rather than wrong ones from a row it cannot read", async () => {
    await handle.db
      .insertInto("month_to_date_estimate")
      .values({
        period_start: HOUR.start,
        period_end: HOUR.end,
        claimed_by: "estimator_other_version",
        claimed_at: T0,
        computed_at: T0,
        figures: JSON.stringify({ customers: 2, tokens: 1.5 }),
      })
      .execute();
    expect(await readEstimates(handle.db, HOUR.end)).toEqual({});
  });
});
