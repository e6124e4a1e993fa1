import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { enqueueRawJob } from "./enqueue-job.ts";
import { JobRunner, PermanentJobError } from "./job-runner.ts";

// A failed job's last_error is an answer: the console's failed-jobs page and GET /api/v1/jobs/failed show it
// to every staff role and key, support's included. A handler's error that quotes the URL it failed on (a
// client library's "could not reach https://user:password@…", a query token) must not carry the credential.

const M = "SECRETMARKER";
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

it("keeps a failed job's last_error without the password or token of a URL its error quotes", async () => {
  const id = await enqueueRawJob(handle.db, { kind: "quotes.url", payload: {} });
  const runner = new JobRunner({
    db: handle.db,
    logger: pino({ level: "silent" }),
    handlers: {
      "quotes.url": async () => {
        throw new PermanentJobError(
          `GET https://admin:${M}1@solusio.example.test/api/v1/users?token=${M}2: connection refused`,
        );
      },
    },
  });
  runner.start();
  try {
    const row = await waitUntil("the job failed", () =>
      handle.db
        .selectFrom("job")
        .select(["status", "last_error"])
        .where("id", "=", id)
        .where("status", "=", "failed")
        .executeTakeFirst(),
    );
    expect(row.last_error).not.toContain(M);
    expect(row.last_error).toContain("solusio.example.test/api/v1/users");
    expect(row.last_error).toContain("connection refused");
  } finally {
    await runner.stop();
  }
});
