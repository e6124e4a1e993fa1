import { sql } from "kysely";
import type { Db } from "../kernel/context.ts";

/** Whether the database answers: the readiness probe's question, asked without exposing the database. */
export async function databaseReachable(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
