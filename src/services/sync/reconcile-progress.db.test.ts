import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { PagesRead } from "../../solusio/read-pages-at-once.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { reconcileSolusio } from "./reconcile.ts";

// `tokenbill solusio reconcile` walks every SolusIO user, 1,334 pages for 20,000 users, and said nothing while it
// did: the walk now tells its progress to whoever asks (the CLI's walk-progress.ts, on stderr), page by page.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

it("tells usersProgress how far the walk of SolusIO's users is, with the pages at once JOB_CONCURRENCY says", async () => {
  const asked: unknown[] = [];
  // The walk itself is read-pages-at-once.ts's (its own tests): here only what reconcile hands it.
  const api = {
    listUsers: async (options: { atOnce?: number; progress?: (p: PagesRead) => void }) => {
      asked.push(options.atOnce);
      for (const read of [1, 2, 3]) options.progress?.({ read, of: 3 });
      return { items: [], unreadable: [] };
    },
  } as unknown as SolusioApi;
  const told: PagesRead[] = [];
  const report = await withRollback(handle.db, (ctx) =>
    reconcileSolusio(
      ctx,
      { api, limitGroupId: async () => undefined },
      { fix: false, usersProgress: (p) => told.push(p) },
    ),
  );
  expect(report.solusio_users).toBe(0);
  expect(told).toEqual([
    { read: 1, of: 3 },
    { read: 2, of: 3 },
    { read: 3, of: 3 },
  ]);
  // Without a listener the walk is as before.
  await withRollback(handle.db, (ctx) =>
    reconcileSolusio(ctx, { api, limitGroupId: async () => undefined }, { fix: false }),
  );
  expect(asked).toEqual([8, 8]);
});
