import { pdfFontsFor } from "../billing/documents/pdf-fonts.ts";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { openMigratedDatabase, systemContext } from "./database.ts";
import { buildServer } from "../http/server.ts";
import type { JobRunner, StopOptions } from "../jobs/job-runner.ts";
import { seedDemo } from "./sandbox/seed-demo.ts";
import { ensureSandboxLogins } from "./sandbox/sandbox-logins.ts";
import { portalMailer } from "../services/portal-accounts/portal-mail.ts";
import { recordSandboxTokenbillUrl } from "./sandbox/sandbox-address.ts";
import { type Sandbox, startSandbox } from "./sandbox/start-sandbox.ts";
import { actors } from "../kernel/actor.ts";
import { ensureBootstrapKey, missingAdminKeyAdvice } from "../services/api-keys/bootstrap-key.ts";
import { applySetup, planSetup } from "../services/setup/plan-setup.ts";
import { decideSandbox } from "./sandbox/sandbox-decision.ts";
import { ensureBound } from "../solusio/solusio-binding.ts";
import { confirmBinding } from "./confirm-binding.ts";
import { createJobRunner } from "./runner.ts";
import { startSchedules } from "./schedules.ts";
import { configuredIntegration } from "../solusio/integration.ts";
import { startMetricsServer } from "../metrics/metrics-server.ts";
import { startHousekeeping } from "./housekeeping.ts";
import { publicUrlWarning } from "./public-url-warning.ts";
import { startNewerSchemaWatch } from "./newer-schema-watch.ts";

// The composition root: configuration → database (migrated) → SolusIO (configured, or the sandbox) →
// job runner → HTTP server.

/** serve's stop ends the process this long after its signal, whatever is still closing (cli/serve-stop.ts). */
export const FORCED_EXIT_MS = 10_000;

/**
 * How long serve's stop lets running job handlers finish before it gives their jobs back (JobRunner.stop).
 * Two seconds before the forced exit: after the give-back (one statement) closing still ends the SolusIO
 * calls in flight (up to 1 s, CLOSE_GRACE_MS in solusio-client.ts), the HTTP server and the database. A give-back
 * the exit cut off would leave the jobs running until their claims ran out, as before it existed.
 */
export const JOB_STOP_GRACE_MS = FORCED_EXIT_MS - 2_000;

/**
 * Stops the runners side by side against one grace, so that the one stopped second gets no extra time,
 * and waits for all of them (closing the database under a runner still giving back would fail it).
 */
async function stopRunners(stops: readonly ((options: StopOptions) => Promise<void>)[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const giveBackAfter = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, JOB_STOP_GRACE_MS);
  });
  const results = await Promise.allSettled(stops.map((stop) => stop({ giveBackAfter })));
  clearTimeout(timer);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

export interface RunningServer {
  url: string;
  /** GET /metrics without a key on loopback, when METRICS_PORT is set. */
  metricsUrl?: string | undefined;
  /** Where the first-start admin API key was left (embedded default only). */
  adminKeyFile?: string | undefined;
  sandbox?:
    | {
        emulatorUrl: string;
        adminToken: string;
        demoCustomers: boolean;
        /** Where the demo console and portal logins are (undefined with DATA_DIR=memory://). */
        loginsFile: string | undefined;
        staffEmail: string;
      }
    | undefined;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // A fallback font that cannot be read stops the start, not the first invoice's e-mail.
  if (config.PDF_FALLBACK_FONTS.length > 0) pdfFontsFor(config);
  const handle = await openMigratedDatabase(config, logger, true);
  const closers: (() => Promise<void>)[] = [() => handle.close()];
  // Aborted as the stop begins: work that only waits on SolusIO (the background binding check) ends then.
  const stopping = new AbortController();
  const closeAll = async () => {
    stopping.abort();
    for (const close of closers.reverse())
      await close().catch((e) => logger.error({ err: e }, "shutdown step failed"));
  };
  try {
    let sandbox: Sandbox | undefined;
    let solusio = configuredIntegration(config, handle.db, logger);
    if (solusio) {
      closers.push(() => solusio!.connection.close());
      confirmBinding(handle.db, solusio.connection, logger, stopping.signal);
    } else {
      const decision = await decideSandbox(config, handle);
      if (decision.start) {
        sandbox = await startSandbox(config, handle.db, logger);
        closers.push(() => sandbox!.close());
        solusio = sandbox.integration;
        // Marks the database as a sandbox one at once (and refuses an emulator state of another database).
        await ensureBound(handle.db, solusio.connection);
      } else logger.warn(decision.reason);
    }
    const runner: JobRunner = createJobRunner(handle.db, config, logger, solusio, {
      // Without SMTP, the sandbox logs the portal's login links: its customers are made up.
      portalMailer: portalMailer(config, logger, { sandbox: sandbox !== undefined }),
    });
    // Set once the schema watch starts, after the runners (below); /readyz asks it.
    let newerSchema: (() => readonly string[] | undefined) | undefined;
    const app = await buildServer({
      config,
      db: handle.db,
      logger,
      solusio,
      newerSchema: () => newerSchema?.(),
      warmPricingIndex: true,
      backup: handle.backup,
    });
    closers.push(() => app.close());
    await app.listen({ host: config.HOST, port: config.PORT });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    const url = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
    let metricsUrl: string | undefined;
    if (config.METRICS_PORT !== undefined) {
      const metricsServer = await startMetricsServer(app.metrics, config.METRICS_PORT);
      closers.push(() => metricsServer.close());
      metricsUrl = metricsServer.url;
      logger.info({ url: metricsUrl }, "metrics served on loopback without a key");
    }

    const adminKeyFile =
      handle.kind === "pglite" && config.DATA_DIR !== "memory://"
        ? await ensureBootstrapKey(
            systemContext(handle, config, logger, actors.system("bootstrap")),
            config.DATA_DIR,
          )
        : undefined;
    if (adminKeyFile) logger.info({ file: adminKeyFile }, "an admin API key is in this file");
    else if (handle.kind !== "pglite") {
      const advice = await missingAdminKeyAdvice(
        systemContext(handle, config, logger, actors.system("bootstrap")),
      );
      if (advice) logger.warn(advice);
    }
    const unreachableLinks = publicUrlWarning(config, sandbox !== undefined);
    if (unreachableLinks) logger.warn(unreachableLinks);
    let demoCustomers = false;
    let logins: Awaited<ReturnType<typeof ensureSandboxLogins>> | undefined;
    if (sandbox && solusio) {
      // The sandbox SolusIO must call this very server for prices, whatever port it got.
      const effective = Object.freeze({
        ...config,
        TOKENBILL_PUBLIC_URL: config.TOKENBILL_PUBLIC_URL ?? url,
      });
      // The same address for setup and doctor run as commands beside this serve.
      recordSandboxTokenbillUrl(config, effective.TOKENBILL_PUBLIC_URL, logger);
      const report = await planSetup({ db: handle.db, api: solusio.connection.api, config: effective });
      await applySetup(report);
      demoCustomers = (await seedDemo(systemContext(handle, effective, logger, actors.system("sandbox"))))
        .created;
      logins = await ensureSandboxLogins(
        systemContext(handle, effective, logger, actors.system("sandbox")),
        config.DATA_DIR,
        logger,
      );
      // Re-apply: the demo seed added plan prices that setup pushes to SolusIO.
      await applySetup(await planSetup({ db: handle.db, api: solusio.connection.api, config: effective }));
    }
    // After the sandbox's seed, which the index would otherwise learn of only at its next check.
    app.warmPricingIndex();
    // Trims done jobs, the SolusIO call log and ended sessions past their retention, and on the embedded
    // database (no autovacuum) vacuums its tables (housekeeping.ts).
    const housekeeping = startHousekeeping(
      systemContext(handle, config, logger, actors.system("housekeeping")),
      { vacuum: handle.kind === "pglite" },
    );
    if (housekeeping) closers.push(() => housekeeping.stop());
    const runnerStops: ((options: StopOptions) => Promise<void>)[] = [(o) => runner.stop(o)];
    // Billing each month, server polls and reconciliation (src/app/schedules.ts): each slot's work is
    // done once, however many instances run.
    if (solusio) {
      const schedules = startSchedules(
        systemContext(handle, config, logger, actors.system("scheduler"), solusio),
      );
      runnerStops.push((o) => schedules.stop(o));
    }
    // Started last and closed first (closers run in reverse), with nothing between that could throw: the
    // grace counts from the start of the stop, and a runner that started is always stopped. Stopped once,
    // by whichever comes first: the process's stop, or the schema watch finding a newer version's migration.
    let backgroundStopped: Promise<void> | undefined;
    const stopBackground = () => {
      backgroundStopped ??= Promise.all([stopRunners(runnerStops), housekeeping?.stop()]).then(() => {});
      return backgroundStopped;
    };
    const schemaWatch = startNewerSchemaWatch({
      db: handle.db,
      logger,
      now: () => new Date(),
      onNewer: stopBackground,
    });
    newerSchema = schemaWatch.newer;
    runner.start();
    closers.push(stopBackground);
    closers.push(() => schemaWatch.stop());
    return {
      url,
      metricsUrl,
      adminKeyFile,
      sandbox: sandbox && {
        emulatorUrl: sandbox.emulator.url,
        adminToken: sandbox.emulator.adminToken,
        demoCustomers,
        loginsFile: logins?.file,
        staffEmail: logins?.logins.staff.email ?? "",
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
