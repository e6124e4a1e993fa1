import { sql } from "kysely";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { isServiceError, ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../staff/staff-roles.ts";
import { solusioErrorIn } from "../../solusio/solusio-error.ts";
import { requireSolusio } from "../sync/require-solusio.ts";
import { billingIntegrationManualSteps } from "./billing-integration-check.ts";
import { type DoctorCheck, runDoctor } from "./doctor.ts";
import { failureWords } from "./failure-words.ts";
import { applySetup, planSetup, type SetupReport } from "./plan-setup.ts";

// The SolusIO side as the console asks for it: the same doctor and setup as `tokenbill solusio doctor` and
// `tokenbill solusio setup --apply`, behind the staff roles (reading is for every role, applying for admins).

/**
 * What the doctor and setup read SolusIO and tokenbill through, from the context's SolusIO connection (the API's
 * doctor route too). The command's own (`tokenbill solusio doctor`) differs: its public URL may be serve's.
 */
export function doctorDeps(ctx: ServiceContext) {
  const { connection } = requireSolusio(ctx);
  return {
    db: ctx.db,
    api: connection.api,
    config: ctx.config,
    apiUrl: connection.apiUrl,
    userAreaUrl: connection.userAreaUrl,
    sandbox: connection.sandbox,
  };
}

/**
 * Setup's billing integration step below admin: its summary names tokenbill's URL and the one SolusIO calls,
 * which the settings page shows those roles only as set or not set (until 2026-12-07 they read them here).
 */
const BILLING_INTEGRATION_BELOW_ADMIN =
  "the billing integration must call tokenbill's GetTokenPricing URL (seed step 7): the doctor's billing integration check says what it calls now";

export interface SetupStatus {
  /** What setup would change, in words (empty: SolusIO matches tokenbill). */
  steps: { key: string; summary: string }[];
  warnings: string[];
  manual_steps: string[];
}

export interface SolusioDoctorView {
  checks: DoctorCheck[];
  /** Setup's plan from the doctor's own reads; absent when doctor could not read all it needs. */
  setup?: SetupStatus;
  /** Why the doctor could not run at all (no checks then), worded for the reader's role (doctorProblem). */
  problem?: string;
}

/**
 * The page's line when the doctor could not run: worded by role as the doctor's lines are (failureWords), as
 * a failure's message can name SolusIO's host and port; until 2026-12-07 the page showed it to every role.
 * Words a verb wrote for staff (ServiceError.unavailable: no SolusIO configured) name settings, not where
 * systems are.
 */
function doctorProblem(error: unknown, seesWhere: boolean): string | undefined {
  if (isServiceError(error)) {
    if (error.code !== "UPSTREAM_UNAVAILABLE") return undefined;
    return seesWhere || error.wordedFor
      ? error.message
      : "SolusIO could not be checked: an admin's SolusIO page shows why";
  }
  return solusioErrorIn(error) ? failureWords(error, seesWhere) : undefined;
}

/**
 * The console's doctor: every check of `tokenbill solusio doctor`, but `billing user ids` as the last
 * reconciliation stored it. Walked on each view, it cost a call per 15 SolusIO users (1,334 for 20,000),
 * for every member of staff who opened or refreshed the page. Setup's plan is the one doctor made to compare
 * the setup items: planned again, it read settings, limit groups and plans a second time (until 2026-12-06).
 */
export const solusioDoctor = defineVerb(NoInput, async ({ ctx }): Promise<SolusioDoctorView> => {
  const me = await requireStaffRole(ctx, ...READ_ROLES);
  const seesWhere = seesWhereSystemsAre(ctx, me);
  let report: SetupReport | undefined;
  let checks: DoctorCheck[];
  try {
    checks = await runDoctor({
      ...doctorDeps(ctx),
      seesWhere,
      billingUserIds: "stored",
      planned: (planned) => {
        report = planned;
      },
    });
  } catch (error) {
    const problem = doctorProblem(error, seesWhere);
    if (problem === undefined) throw error;
    return { checks: [], problem };
  }
  if (!report) return { checks };
  return {
    checks,
    setup: {
      steps: report.steps.map(({ key, summary }) => ({
        key,
        summary: seesWhere || key !== "billing_integration" ? summary : BILLING_INTEGRATION_BELOW_ADMIN,
      })),
      warnings: report.warnings,
      manual_steps:
        seesWhere || report.manualSteps.length === 0
          ? report.manualSteps
          : billingIntegrationManualSteps(ctx.config, false),
    },
  };
});

/**
 * `tokenbill solusio setup --apply`: makes every change setup lists, then reads SolusIO again; what still
 * differs (a change SolusIO accepted but did not keep) is returned as `remaining`. Audited.
 */
export const applySolusioSetup = defineVerb(
  NoInput,
  async ({ ctx }): Promise<{ applied: string[]; remaining: { key: string; summary: string }[] }> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    const deps = doctorDeps(ctx);
    let applied: string[];
    try {
      applied = await applySetup(await planSetup(deps));
    } catch (error) {
      // SolusIO refused or failed a step: an upstream problem with its own words, not tokenbill's failure.
      throw new ServiceError("UPSTREAM_UNAVAILABLE", (error as Error).message);
    }
    const remaining =
      applied.length > 0 ? (await planSetup(deps)).steps.map(({ key, summary }) => ({ key, summary })) : [];
    if (applied.length > 0) {
      await withTransaction(ctx, (tx) =>
        recordAudit(tx.db, tx, {
          action: "update",
          entity: "solusio_setup",
          entityId: "solusio",
          before: null,
          after: { applied, remaining: remaining.map((r) => r.key) },
        }),
      );
    }
    return { applied, remaining };
  },
);

export interface SolusioHealth {
  configured: boolean;
  /** Whether SolusIO answered an authenticated call just now. */
  reachable: boolean;
  problem: string | null;
  /** Customers whose last sync failed or is in conflict. */
  sync_errors: number;
  /** SolusIO calls that failed in the last 24 hours. */
  failed_calls_24h: number;
  /** billing_user_ids the last reconciliation found carried by a second user or by no customer's user. */
  carrier_findings: number;
}

/**
 * The dashboard's SolusIO line: one cheap call (the token's account), and counts from tokenbill's tables. Its
 * problem is worded as the doctor's lines are (failureWords): a refused connection's message names host and
 * port, which every role read here until 2026-12-07.
 */
export const solusioHealth = defineVerb(NoInput, async ({ ctx }): Promise<SolusioHealth> => {
  const me = await requireStaffRole(ctx, ...READ_ROLES);
  const since = new Date(ctx.now().getTime() - 24 * 3600_000);
  const [syncErrors, failedCalls, findings] = await Promise.all([
    ctx.db
      .selectFrom("customer")
      .select(sql<string>`count(*)`.as("n"))
      .where("sync_state", "in", ["failed", "conflict"])
      .executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom("solusio_call")
      .select(sql<string>`count(*)`.as("n"))
      .where("error", "is not", null)
      .where("at", ">=", since)
      .executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom("solusio_carrier_finding")
      .select(sql<string>`count(*)`.as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  const counts = {
    sync_errors: Number(syncErrors.n),
    failed_calls_24h: Number(failedCalls.n),
    carrier_findings: Number(findings.n),
  };
  if (!ctx.solusio)
    return { configured: false, reachable: false, problem: "no SolusIO is configured", ...counts };
  try {
    // A page waits on it: seconds at most, no retries (SolusioApi.interactive), whatever SolusIO does.
    await ctx.solusio.connection.api.interactive().account();
    return { configured: true, reachable: true, problem: null, ...counts };
  } catch (error) {
    const problem = failureWords(error, seesWhereSystemsAre(ctx, me));
    return { configured: true, reachable: false, problem, ...counts };
  }
});
