import { sql } from "kysely";
import type { Db } from "../kernel/context.ts";
import { sharedWithin } from "../kernel/within.ts";

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
  const probe = sharedWithin(
    () =>
      sql`select 1`.execute(db).then(
        (): Readiness => "ready",
        (): Readiness => "database not reachable",
      ),
    waitMs,
  );
  return async () => {
    const answer = await probe();
    return answer.settled ? answer.value : "database not answering";
  };
}
