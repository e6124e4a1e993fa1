// What `tokenbill billing …` does when one of its commands runs; the commands, their options and words are in
// billing-commands.ts, which imports this file only then.
import { BillingInterrupted, type BillingProgress } from "../billing/runs/execute-billing-run.ts";
import { runBilling } from "../billing/runs/run-billing.ts";
import { billablePeriodNow } from "../billing/runs/start-billing-run.ts";
import { jsonText } from "../kernel/json.ts";
import type { BillingSummary } from "../billing/runs/billing-run-schemas.ts";
import { listBillingRuns } from "../billing/runs/list-billing-runs.ts";
import { pollServers } from "../billing/usage/poll-servers.ts";
import { readsUsageEndpoint } from "../billing/usage/usage-sources-from-config.ts";
import { formatMinor } from "../domain/money.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { currencyDisplays } from "../services/currencies/currencies.ts";
import { renderTable } from "./output.ts";
import {
  CommandInterrupted,
  type Interruption,
  interruptOnSignal,
  signalExitCode,
} from "./interrupt-signal.ts";
import { jsonFailure } from "./json-errors.ts";
import { requireSolusio } from "./solusio-required.ts";
import { withSystemContext } from "./with-context.ts";

const BAR_WIDTH = 30;

/** A one-line progress bar on stderr, redrawn at most every 100 ms; only when stderr is a terminal. */
function progressBar(): { update(p: BillingProgress): void; done(): void } {
  if (!process.stderr.isTTY) return { update: () => {}, done: () => {} };
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.processed !== p.total) return;
      last = now;
      const share = p.total > 0 ? Math.min(1, p.processed / p.total) : 0;
      const filled = Math.round(share * BAR_WIDTH);
      const bar =
        p.total > 0
          ? `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`
          : "";
      const count =
        p.total > 0
          ? `${p.processed.toLocaleString("en-US")}/${p.total.toLocaleString("en-US")}`
          : p.processed.toLocaleString("en-US");
      process.stderr.write(`\r\x1b[2K${p.phase.padEnd(10)} ${bar} ${count}`);
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write("\n");
    },
  };
}

async function printSummary(ctx: ServiceContext, s: BillingSummary): Promise<void> {
  // Through a verb: the CLI never queries the database itself.
  const currencies = await currencyDisplays({ ctx, input: {} });
  const money = (code: string, minor: bigint) => {
    const c = currencies.get(code);
    return c ? formatMinor(minor, c) : `${minor} (${code} minor units)`;
  };
  const byStatus =
    Object.entries(s.invoices.by_status)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ") || "none";
  const kinds = Object.entries(s.anomalies.by_kind)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  const out = [
    `billing run ${s.run_id}: ${s.period} (${s.period_start} – ${s.period_end}, ${s.time_zone}) completed in ${(s.duration_ms / 1000).toFixed(1)} s`,
    `usage records: ${s.usage_records} from ${s.source}; customers billed: ${s.customers}`,
    `invoices: ${s.invoices.created} created, ${s.invoices.already_present} already present, ${s.invoices.finalized} finalized; period: ${byStatus}`,
    `anomalies: ${s.anomalies.total}${kinds ? ` (${kinds}) — see GET /api/v1/billing-runs/${s.run_id}/anomalies` : ""}`,
    ...(s.bounds_warning ? [`warning: ${s.bounds_warning}`] : []),
  ].join("\n");
  const rows = s.totals.map((t) => [
    t.currency,
    String(t.invoices),
    money(t.currency, t.subtotal),
    money(t.currency, t.discounts),
    money(t.currency, t.taxes),
    money(t.currency, t.total),
  ]);
  const table = rows.length
    ? `\n${renderTable(["Currency", "Invoices", "Subtotal", "Discounts", "Taxes", "Total"], rows, [false, true, true, true, true, true])}`
    : "";
  process.stdout.write(`${out}${table}\n`);
}

/**
 * Ctrl-C or SIGTERM stops a run at its next page or batch, as `serve` stops its runs: the run marks itself
 * failed ("interrupted") and drops its stage, and the next run resumes. Killed at once, the run stayed
 * "running" for good (only a later run of the same period retires it), its stage table was kept, and /metrics
 * went on reporting it. A second signal while it stops ends the process at once (interrupt-signal.ts).
 */
function stopOnSignal(period: string, json: boolean | undefined): Interruption {
  // Quit at once, a --json run still leaves its envelope (a write to a pipe or file is synchronous here).
  const stopping = interruptOnSignal((first) => {
    if (!json) return;
    const quit = new CommandInterrupted(
      `billing run of ${period} quit at once: run the same command again to finish it`,
      first,
    );
    process.stdout.write(jsonFailure(quit, signalExitCode(first)));
  });
  stopping.signal.addEventListener("abort", () =>
    process.stderr.write("\nstopping at the next batch (press Ctrl-C again to quit at once)\n"),
  );
  return stopping;
}

/** `billing run`. */
export async function runAction(opts: { period: string; json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    // The period first, as the verb checks it: a bad one is refused as such whatever the state of SolusIO.
    await billablePeriodNow(ctx, opts.period);
    if (readsUsageEndpoint(ctx.config))
      requireSolusio(
        ctx,
        "read usage from",
        `bill the period through serve's admin API, POST /api/v1/billing-runs with {"period":"YYYY-MM"} (README, "Bill a month against the sandbox")`,
      );
    const bar = progressBar();
    const stopping = stopOnSignal(opts.period, opts.json);
    let summary: BillingSummary;
    try {
      summary = await runBilling({
        ctx,
        input: { period: opts.period },
        options: { onProgress: (p) => bar.update(p), signal: stopping.signal },
      });
    } catch (error) {
      if (!(error instanceof BillingInterrupted)) throw error;
      bar.done();
      // Ends as a failure does (main.ts): its line, the signal's exit code, with --json the envelope.
      throw new CommandInterrupted(
        `billing run of ${opts.period} interrupted: run the same command again to resume where it stopped`,
        stopping.received() ?? "SIGINT",
      );
    } finally {
      stopping.release();
      bar.done();
    }
    if (opts.json) process.stdout.write(`${jsonText(summary, 2)}\n`);
    else await printSummary(ctx, summary);
  });
}

/** `billing runs`. */
export async function runsAction(opts: { period?: string; json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const page = await listBillingRuns({ ctx, input: { page: 1, per_page: 50, period: opts.period } });
    if (opts.json) return void process.stdout.write(`${jsonText(page, 2)}\n`);
    const rows = page.data.map((r) => [
      r.id,
      r.period,
      r.state,
      r.phase,
      `${r.progress.processed}/${r.progress.total}`,
      r.started_at,
      r.error ?? "",
    ]);
    process.stdout.write(
      `${renderTable(["Run", "Period", "State", "Phase", "Progress", "Started", "Error"], rows)}\n`,
    );
  });
}

/** `billing poll`. */
export async function pollAction(opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    requireSolusio(
      ctx,
      "poll",
      "record the poll through serve's admin API, POST /api/v1/server-polls (serve also polls by itself when USAGE_SOURCE reads the snapshots)",
    );
    const r = await pollServers({ ctx, input: {} });
    // As POST /api/v1/server-polls answers it.
    const answer = { poll_id: r.pollId, at: r.at.toISOString(), servers: r.servers, gone: r.gone };
    if (opts.json) return void process.stdout.write(`${jsonText(answer, 2)}\n`);
    process.stdout.write(
      `poll ${r.pollId} at ${r.at.toISOString()}: ${r.servers} servers listed, ${r.gone} gone\n`,
    );
  });
}
