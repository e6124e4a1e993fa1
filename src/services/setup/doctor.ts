import { z } from "zod";
import type { PagesRead } from "../../solusio/read-pages-at-once.ts";
import type { Kysely } from "kysely";
import { type Config, maskUrl } from "../../config.ts";
import type { Database } from "../../db/schema.ts";
import type { SolusioSettings } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { bindingMismatch, identifySolusio, readBinding } from "../../solusio/solusio-binding.ts";
import { getTokenPricingCheck, userAreaCheck } from "./address-checks.ts";
import { billingIdCheck, storedBillingIdCheck } from "./billing-id-check.ts";
import { checkBillingIntegration } from "./billing-integration-check.ts";
import { lateRowsCheck } from "./ledger-late-rows-check.ts";
import { providerEventsCheck } from "./provider-events-check.ts";
import { planSetup, type SetupReport } from "./plan-setup.ts";
import { failureWords } from "./failure-words.ts";
import { solusioFailureFix } from "./solusio-failure-fix.ts";

/** Where doctor's `billing user ids` check looks: every SolusIO user, or the last reconciliation's findings. */
export type BillingUserIdsSource = "walk" | "stored";

/** `GET /api/v1/solusio/doctor`'s query: a monitor that polls it need not read every SolusIO user each time. */
export const DoctorQuery = z
  .object({
    billing_user_ids: z.enum(["walk", "stored"]).default("walk").meta({
      description:
        "walk (the default): the billing user ids check reads every SolusIO user, a call per 15 users; stored: it reports what the last reconciliation found, and when, without calling SolusIO",
    }),
  })
  .strict();

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /**
   * Neither passed nor failed: nothing has looked yet (`billing user ids` from what no reconciliation has stored
   * yet). Comes with `ok: true`, nothing being found wrong, and a `fix` that says what checks it.
   */
  not_checked?: true;
  detail: string;
  fix?: string;
}

const SETUP_FIX = "run `tokenbill solusio setup --apply`";

/** Said below admin for another SolusIO than the database's, whose words name both SolusIOs' URLs. */
const ANOTHER_SOLUSIO =
  "this database belongs to another SolusIO than the one this process reaches: billing, user sync and the " +
  "scheduler refuse to work against it";

/** Is this SolusIO the one the database belongs to? Read only: doctor never binds. */
async function bindingCheck(
  db: Kysely<Database>,
  connection: Parameters<typeof identifySolusio>[0],
  seesWhere: boolean,
): Promise<DoctorCheck> {
  const [bound, found] = await Promise.all([readBinding(db), identifySolusio(connection)]);
  if (!bound)
    return {
      name: "database binding",
      ok: true,
      detail: `not bound yet: the first sync or billing run binds this database to ${found.identity}`,
    };
  const problem = bindingMismatch(bound, found);
  return problem
    ? {
        name: "database binding",
        ok: false,
        detail: seesWhere ? problem : ANOTHER_SOLUSIO,
        fix: "configure the SolusIO this database belongs to",
      }
    : {
        name: "database binding",
        ok: true,
        detail: `this database belongs to this SolusIO (${bound.identity})`,
      };
}

/** A check a failed call failed: below admin the detail says the status (failureWords), and the fix not again. */
function failed(name: string, detail: string, error: unknown, seesWhere: boolean): DoctorCheck {
  return { name, ok: false, detail, fix: solusioFailureFix(error, seesWhere ? "nothing" : "status") };
}

/**
 * `tokenbill solusio doctor`: connectivity, the token's rights, every setup item, the user area, and
 * whether tokenbill's GetTokenPricing answers at the URL SolusIO is given. Changes nothing in SolusIO (it
 * records the plan prices it reads, as the poll does: plan-price-changes.ts). Past the connection, each check
 * fails on its own, with the fix its own failure calls for: one failing call never
 * hides the others' results; without a connection, the lines that read only the database are still said.
 */
export async function runDoctor(deps: {
  db: Kysely<Database>;
  api: SolusioApi;
  config: Config;
  apiUrl: string;
  userAreaUrl: string;
  sandbox?: boolean;
  /** Told how far the walk of every SolusIO user is (a call per page): the CLI shows it on a long one. */
  usersProgress?: (p: PagesRead) => void;
  /**
   * `walk` (the default): `billing user ids` reads every SolusIO user, a call per 15. `stored`: it reports
   * what the last reconciliation stored, with its date, and calls nothing (the console's page).
   */
  billingUserIds?: BillingUserIdsSource;
  /**
   * Given setup's plan when doctor could make all of it (settings, limit groups and plans read): the console
   * shows it as its setup card instead of planning again (three more calls to SolusIO on each view).
   */
  planned?: (report: SetupReport) => void;
  /**
   * Whether the reader may see where systems are (SolusIO's URL, masked, and its admin's e-mail, the user
   * area's and GetTokenPricing's URLs, a failure's own message): an admin role or an operator
   * (seesWhereSystemsAre), the default. Below admin no line names a URL or host, as the settings page shows
   * those settings only as set or not set; until 2026-12-07 every role read them.
   */
  seesWhere?: boolean;
}): Promise<DoctorCheck[]> {
  const { api, config } = deps;
  const seesWhere = deps.seesWhere ?? true;
  const checks: DoctorCheck[] = [];

  try {
    const account = await api.account();
    checks.push({
      name: "connection",
      ok: true,
      detail: seesWhere ? `reached ${maskUrl(deps.apiUrl)} as ${account.email}` : "SolusIO was reached",
    });
  } catch (error) {
    // The failure's own words may name the address too (a refused connection names host and port). Below
    // admin, how it failed: "SolusIO was not reached" said so of a token SolusIO refused (until 2026-12-07).
    const detail = seesWhere
      ? `${maskUrl(deps.apiUrl)}: ${(error as Error).message}`
      : failureWords(error, seesWhere);
    checks.push(failed("connection", detail, error, seesWhere));
    // Nothing of SolusIO can be checked without a connection; what reads only the database still is (until
    // 2026-12-07 it was left out, the statement late rows line with it).
    if (deps.billingUserIds === "stored")
      checks.push(await storedBillingIdCheck(deps.db, config.RECONCILE_INTERVAL_MS));
    checks.push(await lateRowsCheck(deps.db));
    checks.push(await providerEventsCheck(deps.db, seesWhere));
    return checks;
  }

  let settings: SolusioSettings | undefined;
  let settingsError: unknown;
  try {
    settings = await api.getSettings();
    checks.push({ name: "token rights", ok: true, detail: "the token may read and change settings" });
  } catch (error) {
    settingsError = error;
    checks.push(failed("token rights", `not confirmed: ${failureWords(error, seesWhere)}`, error, seesWhere));
  }

  try {
    const connection = { api, apiUrl: deps.apiUrl, sandbox: deps.sandbox ?? false };
    checks.push(await bindingCheck(deps.db, connection, seesWhere));
  } catch (error) {
    checks.push(
      failed("database binding", `not checked: ${failureWords(error, seesWhere)}`, error, seesWhere),
    );
  }

  // planSetup reads settings, limit groups and plans. Each read that fails is remembered and reported by the
  // checks that need it, instead of failing the whole doctor; the settings already read are reused.
  const unread: { limitGroups?: unknown; plans?: unknown } = {};
  const reading = Object.create(api) as SolusioApi;
  reading.getSettings = async () => settings ?? {};
  reading.listLimitGroups = () =>
    api.listLimitGroups().catch((error: unknown) => {
      unread.limitGroups = error;
      return [];
    });
  reading.listPlans = (answeredAt) =>
    api.listPlans(answeredAt).catch((error: unknown) => {
      unread.plans = error;
      return [];
    });
  let report: SetupReport | undefined;
  let setupError: unknown;
  try {
    report = await planSetup({ ...deps, api: reading });
  } catch (error) {
    setupError = error;
  }
  // A plan made without one of its reads is not setup's plan: a failed read stood in for as nothing.
  if (report && settings && unread.limitGroups === undefined && unread.plans === undefined)
    deps.planned?.(report);
  const notChecked = (name: string, what: string, error: unknown) =>
    failed(name, `not checked: ${what}: ${failureWords(error, seesWhere)}`, error, seesWhere);

  const labels: Record<string, string> = {
    registration: "registration off",
    billing_integration: "billing integration",
    default_limit_group: "default limit group",
  };
  const keyed = new Map((report?.steps ?? []).map((s) => [s.key, s]));
  const expected = [
    "registration",
    "billing_integration",
    ...config.SOLUSIO_LIMIT_GROUPS.map((g) => `limit_group:${g.name}`),
    ...(config.SOLUSIO_DEFAULT_LIMIT_GROUP ? ["default_limit_group"] : []),
  ];
  for (const key of expected) {
    const name = labels[key] ?? key.replace(":", " ");
    if (key.startsWith("limit_group:") && unread.limitGroups !== undefined) {
      checks.push(notChecked(name, "SolusIO's limit groups could not be read", unread.limitGroups));
      continue;
    }
    if (!key.startsWith("limit_group:") && !settings) {
      checks.push(notChecked(name, "SolusIO's settings could not be read", settingsError));
      continue;
    }
    if (key === "billing_integration") {
      // Read, not compared with what setup would write: any integration type that calls tokenbill passes.
      const verdict = checkBillingIntegration(settings!, config, seesWhere);
      checks.push({
        name,
        ok: verdict.ok,
        detail: verdict.detail,
        ...(verdict.ok ? {} : { fix: verdict.fix }),
      });
      continue;
    }
    if (!report) {
      checks.push(notChecked(name, "setup could not be compared", setupError));
      continue;
    }
    const step = keyed.get(key);
    checks.push(
      step
        ? { name, ok: false, detail: step.summary, fix: SETUP_FIX }
        : { name, ok: true, detail: "as configured" },
    );
  }
  if (unread.plans !== undefined) {
    checks.push(notChecked("plan prices", "SolusIO's plans could not be read", unread.plans));
  } else if (!report) {
    checks.push(notChecked("plan prices", "setup could not be compared", setupError));
  } else {
    const planSteps = report.steps.filter((s) => s.key.startsWith("plan:"));
    checks.push({
      name: "plan prices",
      ok: planSteps.length === 0 && report.warnings.length === 0,
      detail:
        planSteps.length === 0 && report.warnings.length === 0
          ? "every priced plan matches tokenbill's price list"
          : [...planSteps.map((s) => s.summary), ...report.warnings].join("; "),
      ...(planSteps.length > 0
        ? { fix: SETUP_FIX }
        : report.fixes.length > 0
          ? { fix: report.fixes.join("; ") }
          : {}),
    });
  }

  // As many pages at once as the job runner runs syncs (JOB_CONCURRENCY), which SolusIO takes already.
  checks.push(
    deps.billingUserIds === "stored"
      ? await storedBillingIdCheck(deps.db, config.RECONCILE_INTERVAL_MS)
      : await billingIdCheck(
          deps.db,
          api,
          {
            atOnce: config.JOB_CONCURRENCY,
            ...(deps.usersProgress ? { progress: deps.usersProgress } : {}),
          },
          seesWhere,
        ),
  );
  checks.push(await userAreaCheck(deps.userAreaUrl, seesWhere));
  checks.push(await getTokenPricingCheck(config, seesWhere));
  checks.push(await lateRowsCheck(deps.db));
  checks.push(await providerEventsCheck(deps.db, seesWhere));
  return checks;
}
