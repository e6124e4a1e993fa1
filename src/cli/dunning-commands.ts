import type { Command } from "commander";
import type { ServiceContext } from "../kernel/context.ts";
import { jsonText } from "../kernel/json.ts";
import { renderTable } from "./output.ts";

// The verbs and the sandbox are imported when `dunning run` runs: imported here, `dunning --help` loaded the
// dunning ladder, the billing it reads and the database's modules (light-commands-load.test.ts).

/**
 * With no SolusIO configured, the sandbox a `serve` runs on this DATA_DIR: a future --as-of is for sandbox
 * mode, as through that serve's API. The context had no SolusIO at all, so the run refused it as "not in
 * sandbox mode" though it ran on the sandbox's very database.
 */
async function withSandboxIfRunning<T>(
  ctx: ServiceContext,
  work: (ctx: ServiceContext) => Promise<T>,
): Promise<T> {
  const { runningSandbox } = await import("./running-sandbox.ts");
  const sandbox = ctx.solusio ? undefined : await runningSandbox(ctx.config, ctx);
  try {
    return await work(sandbox ? { ...ctx, solusio: sandbox } : ctx);
  } finally {
    await sandbox?.connection.close();
  }
}

/** The `dunning` group's commands, added to `dunning` (main.ts makes the group and loads this file when it runs). */
export function addDunningCommands(dunning: Command): void {
  dunning
    .command("run")
    .description("evaluate the dunning ladder for every customer now (or --as-of) and print the steps taken")
    .option(
      "--as-of <instant>",
      "the instant to evaluate as of, ISO 8601 with its offset (2026-11-20T10:00:00Z); a future one only in sandbox mode",
    )
    .option("--json", "print the steps as JSON")
    .action(async (opts: { asOf?: string; json?: boolean }) => {
      const { runDunning } = await import("../billing/dunning/run-dunning.ts");
      const { withSystemContext } = await import("./with-context.ts");
      await withSystemContext(async (ctx) => {
        const run = await withSandboxIfRunning(ctx, (withSandbox) =>
          runDunning({ ctx: withSandbox, input: opts.asOf === undefined ? {} : { as_of: opts.asOf } }),
        );
        if (opts.json) {
          process.stdout.write(`${jsonText(run, 2)}\n`);
          return;
        }
        const rows = run.steps.map((s) => [
          String(s.customer_id),
          String(s.episode_id),
          s.step,
          s.days === null ? "" : String(s.days),
          String(
            s.details["mail"] ?? s.details["status"] ?? (s.details["status_change"] ? "status changed" : ""),
          ),
        ]);
        process.stdout.write(
          `dunning as of ${run.as_of.toISOString()}: ${run.customers_evaluated} customers evaluated, ${run.steps_total} steps${run.steps.length < run.steps_total ? ` (the first ${run.steps.length} listed)` : ""}\n`,
        );
        if (rows.length > 0)
          process.stdout.write(`${renderTable(["Customer", "Episode", "Step", "Days", "Outcome"], rows)}\n`);
      });
    });
}
