import type { Kysely } from "kysely";
import { setImmediate } from "node:timers/promises";
import { databaseTraits } from "./database-traits.ts";
import type { Database } from "./schema.ts";

// PGlite runs PostgreSQL in this thread and answers a statement without any I/O: a long job's statements
// follow one another through promises alone, and Node reads no socket until the job awaits something else.
// A billing run drafted and finalized 1,503 customers in 1.5 s during which serve read no request at all
// (an admin API GET came back after the run, reading "done"). So a long job gives way between its
// transactions: Node reads what arrived, and the work that came in has the session before the job goes on.

/** At most this many rounds of others' work before the job goes on anyway, so that a busy API cannot stall it. */
const MAX_ROUNDS = 50;

/**
 * On PGlite: lets the event loop read its sockets, then waits until every turn that came in for the session
 * (a request's statements, a command's over the socket, a timer's) has had it, and again, until a round
 * brings none. A request's statements come one after another, each queued as the one before it ends, so the
 * rounds let it finish before the caller's next transaction. Nothing to do on PostgreSQL, where every
 * statement waits on a socket and each request has a connection of its own, nor inside a transaction.
 */
export async function giveWay(db: Kysely<Database>): Promise<void> {
  const turns = databaseTraits(db).turns;
  if (!turns) return;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // Two turns of the loop: immediates queued during one run in the next, so one poll for I/O lies between.
    await setImmediate();
    await setImmediate();
    if (turns.waiting() === 0) return;
    // A turn of our own at the end of the queue: everyone queued before it has had the session.
    await db.connection().execute(async () => {});
  }
}
