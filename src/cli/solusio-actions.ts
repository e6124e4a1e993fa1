import { type Config, loadConfig } from "../config.ts";
import { ServiceError } from "../kernel/errors.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { runDoctor } from "../services/setup/doctor.ts";
import { doctorExitCode, doctorSummary } from "../services/setup/doctor-summary.ts";
import { bindDatabase } from "../services/setup/bind-database.ts";
import { applySetup, planSetup, type SetupReport } from "../services/setup/plan-setup.ts";
import { reconcileSolusio } from "../services/sync/reconcile.ts";
import { refuseAnotherSolusio } from "../solusio/solusio-binding.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { runningSandbox } from "./running-sandbox.ts";
import { withServePublicUrl } from "./serve-public-url.ts";
import { actors } from "../kernel/actor.ts";
import { refuseThrowAwayDatabase } from "./throw-away-database.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";
import { walkProgress } from "./walk-progress.ts";
import { commandLogger } from "./with-context.ts";
import { noteInterruptProgress } from "./interrupt-signal.ts";

// What `tokenbill solusio …` does when one of its commands runs (solusio-commands.ts has the commands).
// The database, the SolusIO client and the job runner are imported when a command runs (withSolusio): imported
// up front, `tokenbill solusio --help` loaded PGlite, pg, Fastify, pino, pdfkit and nodemailer.

const NO_SANDBOX =
  "no SolusIO configured (SOLUSIO_URL, SOLUSIO_API_TOKEN) and no sandbox running: start `tokenbill serve` first";

/** The configured SolusIO, else the sandbox that `tokenbill serve` is running on this data directory. */
async function cliIntegration(config: Config, ctx: ServiceContext): Promise<SolusioIntegration> {
  const { configuredIntegration } = await import("../solusio/integration.ts");
  const integration =
    configuredIntegration(config, ctx.db, ctx.logger) ?? (await runningSandbox(config, ctx));
  // Before, with a sandbox address left by a stopped serve, doctor advised checking SOLUSIO_URL (never set)
  // and setup failed on a refused connection.
  if (!integration) throw ServiceError.unavailable(NO_SANDBOX, "staff");
  return integration;
}

/**
 * Without SOLUSIO_URL where no sandbox can run (DATABASE_URL, TOKENBILL_SANDBOX=off), a configuration to fix
 * (exit 78), as `billing run` says: "start `tokenbill serve` first" (exit 6) sent the operator where no
 * sandbox would ever start. Said before the database is opened or migrated.
 */
function refuseWithoutSolusio(config: Config): void {
  if (config.SOLUSIO_URL) return;
  const why = config.DATABASE_URL
    ? "the sandbox never runs on DATABASE_URL"
    : config.TOKENBILL_SANDBOX === "off"
      ? "TOKENBILL_SANDBOX is off"
      : undefined;
  if (why === undefined) return;
  throw new UnfitConfigurationError(
    `SOLUSIO_URL is not set, so this command has no SolusIO to work with (${why}): set SOLUSIO_URL and SOLUSIO_API_TOKEN.`,
  );
}

async function withSolusio<T>(
  work: (ctx: ServiceContext, solusio: SolusioIntegration) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  refuseThrowAwayDatabase(config);
  refuseWithoutSolusio(config);
  const logger = await commandLogger(config);
  const { systemContext, openMigratedDatabase } = await import("../app/database.ts");
  const { closePreservingExitCode } = await import("../app/close-database.ts");
  const handle = await openMigratedDatabase(config, logger);
  try {
    const base = systemContext(handle, config, logger, actors.cli());
    const solusio = await cliIntegration(config, base);
    try {
      return await work({ ...base, solusio }, solusio);
    } finally {
      await solusio.connection.close();
    }
  } finally {
    await closePreservingExitCode(handle);
  }
}

const print = (s: string) => process.stdout.write(`${s}\n`);

/**
 * The report with each step noting itself once SolusIO accepted it, so that a setup --apply interrupted
 * half-way (one plan re-priced, the next not) says which changes it made: running it again plans from what
 * SolusIO holds then and makes only the changes still missing, so it completes the setup.
 */
function tellingProgress(report: SetupReport): SetupReport {
  const made: string[] = [];
  noteInterruptProgress(
    () =>
      `${made.length} of ${report.steps.length} changes made (${made.join(", ") || "none"}), the rest not, and a change under way may or may not have been; run \`tokenbill solusio setup --apply\` again to complete the setup (it makes only the changes still missing)`,
  );
  const steps = report.steps.map((step) => ({
    ...step,
    apply: async () => {
      await step.apply();
      made.push(step.key);
    },
  }));
  return { ...report, steps };
}

/** A setup value for a person: JSON, and "none" where SolusIO has nothing (JSON.stringify gave "undefined"). */
function shownValue(value: unknown): string {
  return value === undefined || value === null ? "none" : JSON.stringify(value);
}

export async function setupAction(opts: { apply?: boolean; json?: boolean }): Promise<void> {
  await withSolusio(async (ctx, s) => {
    const deps = { db: ctx.db, api: s.connection.api, config: withServePublicUrl(ctx.config, s) };
    const report = await planSetup(deps);
    const applied = opts.apply ? await applySetup(tellingProgress(report)) : [];
    // Checked by reading SolusIO again: a change SolusIO accepted but did not keep (our guess at the
    // Custom billing value, say) shows here, and the exit code says so.
    const remaining = opts.apply && applied.length > 0 ? (await planSetup(deps)).steps : [];
    if (remaining.length > 0) process.exitCode = 1;
    if (opts.json) {
      const describe = ({ key, summary, current, desired }: (typeof report.steps)[number]) => ({
        key,
        summary,
        current,
        desired,
      });
      print(
        JSON.stringify(
          {
            steps: report.steps.map(describe),
            warnings: report.warnings,
            applied,
            remaining: remaining.map(describe),
            manual_steps: report.manualSteps,
          },
          null,
          2,
        ),
      );
      return;
    }
    if (report.steps.length === 0) print("SolusIO already matches tokenbill: nothing to do.");
    for (const step of report.steps) {
      print(`${opts.apply ? "applied" : "would change"}: ${step.key} — ${step.summary}`);
      print(`    now:    ${shownValue(step.current)}`);
      print(`    wanted: ${shownValue(step.desired)}`);
    }
    for (const w of report.warnings) print(`warning: ${w}`);
    for (const step of remaining) print(`still differs after --apply: ${step.key} — ${step.summary}`);
    if (report.manualSteps.length > 0) print(`\n${report.manualSteps.join("\n")}`);
    if (!opts.apply && report.steps.length > 0) print("\nRun again with --apply to make these changes.");
  });
}

export async function doctorAction(opts: { stored?: boolean; json?: boolean }): Promise<void> {
  await withSolusio(async (ctx, s) => {
    const progress = walkProgress("billing user ids: reading SolusIO's users");
    const checks = await runDoctor({
      db: ctx.db,
      api: s.connection.api,
      config: withServePublicUrl(ctx.config, s),
      apiUrl: s.connection.apiUrl,
      userAreaUrl: s.connection.userAreaUrl,
      sandbox: s.connection.sandbox,
      billingUserIds: opts.stored ? "stored" : "walk",
      usersProgress: progress.update,
    }).finally(progress.done);
    const summary = doctorSummary(checks);
    // The API's answer (GET /api/v1/solusio/doctor): the checks under `data`, what they add up to under `meta`.
    // Until 2026-12-07 --json printed the bare array, so a script had to add the checks up itself.
    if (opts.json) print(JSON.stringify({ data: checks, meta: summary }, null, 2));
    else {
      for (const c of checks) {
        print(`${c.not_checked ? "skip" : c.ok ? "ok  " : "FAIL"}  ${c.name}: ${c.detail}`);
        if ((!c.ok || c.not_checked) && c.fix) print(`      fix: ${c.fix}`);
      }
      if (summary.not_checked.length > 0) print(`not checked: ${summary.not_checked.join(", ")}`);
    }
    const code = doctorExitCode(summary);
    if (code !== 0) process.exitCode = code;
  });
}

export async function bindAction(opts: { force?: boolean; json?: boolean }): Promise<void> {
  await withSolusio(async (ctx, s) => {
    const binding = await bindDatabase(ctx, s.connection, { force: !!opts.force });
    if (opts.json) print(JSON.stringify(binding, null, 2));
    else print(`this database belongs to ${binding.kind} at ${binding.api_url} (${binding.identity})`);
  });
}

export async function reconcileAction(opts: { fix?: boolean; json?: boolean }): Promise<void> {
  await withSolusio(async (ctx, s) => {
    await refuseAnotherSolusio(ctx.db, s.connection);
    // A walk of every SolusIO user: 20,000 users are 1,334 pages, half a minute without a word before.
    const progress = walkProgress("reconcile: reading SolusIO's users");
    const report = await reconcileSolusio(
      ctx,
      { api: s.connection.api, limitGroupId: s.limitGroupId },
      { fix: !!opts.fix, usersProgress: progress.update },
    ).finally(progress.done);
    if (opts.fix && report.fixed.length > 0) {
      const { createJobRunner } = await import("../app/runner.ts");
      const runner = createJobRunner(ctx.db, ctx.config, ctx.logger, s, {
        backoffBaseMs: 200,
        backoffCapMs: 2000,
      });
      await runner.drain();
    }
    if (opts.json) {
      print(JSON.stringify(report, null, 2));
      return;
    }
    print(
      `${report.customers} customers, ${report.solusio_users} SolusIO users, ${report.drift.length} differences`,
    );
    for (const d of report.drift) {
      print(
        `  ${d.kind}: customer ${d.customer_id ?? "-"} / SolusIO user ${d.solusio_user_id ?? "-"}: billing ${JSON.stringify(d.billing)} vs SolusIO ${JSON.stringify(d.solusio)}${d.reason ? ` (${d.reason}; not fixed)` : ""}`,
      );
    }
    if (opts.fix) print(`fixed: ${report.fixed.length} customers synced`);
  });
}
