import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { type Claimant, releaseClaims } from "./claim-jobs.ts";
import type { ClaimedJob } from "./job-handler.ts";

/**
 * The end of a runner's stop: gives back, in one statement (releaseClaims), the jobs it claimed ahead and
 * never started and those it cut short (their handler still ran when the stop's grace ended), and says so:
 * each cut job at warn, then that the runner holds no jobs. What a cut handler had already done is done again
 * by the next run, as after a killed instance's claim runs out (docs/operations.md, "Stopping", says what
 * that means for each kind). False when the statement failed: the jobs stay held until their claims run out.
 */
export async function giveBackJobs(
  db: Kysely<Database>,
  by: Claimant,
  logger: Logger,
  jobs: { unstarted: readonly ClaimedJob[]; cut: readonly ClaimedJob[] },
): Promise<boolean> {
  const { unstarted, cut } = jobs;
  const worker = by.workerId;
  let given: Set<bigint>;
  try {
    given = new Set(
      await releaseClaims(db, by, {
        unstarted: unstarted.map((j) => j.id),
        cut: cut.map((j) => j.id),
      }),
    );
  } catch (error) {
    logger.error(
      { err: error, worker, jobs: [...unstarted, ...cut].map((j) => String(j.id)) },
      `could not give back the jobs this runner holds; any runner takes them over once their claims run out (${by.lockSeconds} s)`,
    );
    return false;
  }
  for (const job of cut.filter((j) => given.has(j.id))) {
    logger.warn(
      { job: String(job.id), kind: job.kind, attempt: job.attempts, worker },
      "job given back: its handler still ran when the stop's grace ended; any runner runs it again now, as its next attempt",
    );
  }
  // Not matched: its claim ran out and another runner took it over meanwhile.
  const gone = cut.filter((j) => !given.has(j.id));
  if (gone.length > 0) {
    logger.info(
      { worker, jobs: gone.map((j) => String(j.id)) },
      "jobs cut short by the stop were no longer this runner's (their claim ran out); left as they are",
    );
  }
  return true;
}
