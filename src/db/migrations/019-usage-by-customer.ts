import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The portal's "this month so far" asks the recorded usage (usage sources (b) and (c)) for one customer's
// servers. Without these indexes every portal view read every server of the month, page by page: at a million
// customers, three million servers for each view. A server is the customer's by its last sighting's billing
// user, or by the SolusIO user its sighting or its creation in the activity log names
// (snapshot-usage-source.ts). The log names SolusIO's user, and its customer is found by that id: a billing
// run on the activity log looked it up for every page of servers by reading every customer. IF NOT EXISTS: an operator may build them beforehand, CONCURRENTLY, under these
// names.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX IF NOT EXISTS server_snapshot_billing_user ON server_snapshot (billing_user_id)
      WHERE billing_user_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS server_snapshot_solusio_user ON server_snapshot (solusio_user_id)
      WHERE solusio_user_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS server_event_created_by ON server_event ((data->>'user_id'))
      WHERE event = 'compute_resource_vm_created';
    CREATE INDEX IF NOT EXISTS customer_solusio_user ON customer (solusio_user_id)
      WHERE solusio_user_id IS NOT NULL;
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `DROP INDEX IF EXISTS server_snapshot_billing_user;
     DROP INDEX IF EXISTS server_snapshot_solusio_user;
     DROP INDEX IF EXISTS server_event_created_by;
     DROP INDEX IF EXISTS customer_solusio_user;`,
  );
}
