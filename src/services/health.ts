import { sql } from "kysely";
import type { Db } from "../kernel/context.ts";
import { within } from "../kernel/within.ts";

/** How long the readiness probe waits for the database; an orchestrator's own probe timeout is often 1–5 s. */
const READINESS_WAIT_MS = 2_000;

export type Readiness = "ready" | "database not reachable" | "database not answering";

/**
 * The readiness probe's question, whether the database answers, asked without exposing the database. A
 * database that stopped answering (a dead host, dropped packets) gets `waitMs` before the answer is "not
 * answering"; until that statement settles, later probes answer the same at once rather than leaving one more
 * statement (and pooled connection) waiting on every probe.
 */
export function readinessProbe(db: Db, waitMs = READINESS_WAIT_MS): () => Promise<Readiness> {
  let outstanding: Promise<Readiness> | undefined;
  let overran = false;
  return async () => {
    if (overran) return "database not answering";
    outstanding ??= sql`select 1`
      .execute(db)
      .then(
        (): Readiness => "ready",
        (): Readiness => "database not reachable",
      )
      .finally(() => {
        outstanding = undefined;
        overran = false;
      });
    const probe = await within(outstanding, waitMs);
    if (probe.settled) return probe.value;
    // Unless it settled in the meantime (its `finally` has run): then the next probe asks again.
    overran = outstanding !== undefined;
    return "database not answering";
  };
}
