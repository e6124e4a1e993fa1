import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The customer list filtered by client group (`GET /api/v1/customers?client_group_id=…`), in the list's order
// (id), served by one index: with customer_client_group (client_group_id, migration 001) alone, PostgreSQL
// read a large group's customers through the primary key, checking each one's group, to avoid sorting them.
// With (client_group_id, id) a page, and a cursor's next page, is a range of the index.
// customer_client_group goes: the new index leads with the same column, so it serves what that one did (the
// foreign key's check when a client group is deleted).
// IF NOT EXISTS: on a large database an operator may build it beforehand with CREATE INDEX CONCURRENTLY under
// this name (docs/operations.md), so that this migration does not hold writes while it builds it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX IF NOT EXISTS customer_client_group_list ON customer (client_group_id, id);
    DROP INDEX IF EXISTS customer_client_group;
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX IF NOT EXISTS customer_client_group ON customer (client_group_id);
    DROP INDEX IF EXISTS customer_client_group_list;
    `,
  );
}
