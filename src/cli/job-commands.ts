import type { Command } from "commander";
import { MAX_LIMIT } from "./list-limit.ts";

// `tokenbill jobs …`: the jobs that failed for good, listed and retried from the host, as the console's
// /console/jobs and the admin API's /api/v1/jobs/failed do, through the same verbs. The commands and their words
// are here; what they do is in job-actions.ts, imported when one runs, not for --help (light-commands-load).

/** The commands' actions, imported when one runs. */
const actions = () => import("./job-actions.ts");

/** The `jobs` group's commands, added to `jobs` (main.ts makes the group and loads this file when it runs). */
export function addJobCommands(jobs: Command): void {
  jobs
    .command("failed")
    .description(
      "the jobs that failed for good (permanently, or out of attempts), the latest failure first; nothing " +
        "retries them by itself",
    )
    .option("--limit <n>", `at most this many, the latest (1 to ${MAX_LIMIT}; default: all)`)
    .option(
      "--json",
      'print JSON: {"data": [jobs as the admin API shows them, each last error whole], "meta": {"count", "more"}}',
    )
    .action(async (opts: { limit?: string; json?: boolean }) => (await actions()).failedAction(opts));

  jobs
    .command("retry")
    .description(
      "queue a failed job again, with its attempts anew: it runs as things are then, so mend what its last " +
        "error names first",
    )
    .argument("<id>", "the job's id, as `jobs failed` shows it")
    .option("--json", 'print {"id", "status": "pending"} as JSON, and a failure as the error envelope')
    .action(async (id: string, opts: { json?: boolean }) => (await actions()).retryAction(id, opts));
}
