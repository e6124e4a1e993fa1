import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";
import { enqueueRawJob } from "../jobs/enqueue-job.ts";
import { JobRunner, PermanentJobError } from "../jobs/job-runner.ts";

// `tokenbill jobs failed` and `jobs retry` call the verbs of GET /api/v1/jobs/failed and POST
// /api/v1/jobs/{id}/retry. The failed job is made failed by the real runner (a handler that refuses for good),
// run here on the database the commands share; once retried, a runner whose handler now succeeds finishes it.

const { data, tokenbill } = commandsOnSharedDatabase();
const logger = pino({ level: "silent" });

/** Runs every due job of `kind` once with `handler`: the outbox runner as serve runs it. */
async function runJobs(kind: string, handler: () => Promise<void>): Promise<void> {
  const runner = new JobRunner({ db: data().handle.db, logger, handlers: { [kind]: handler } });
  await runner.runOnce();
}

const statusOf = async (id: bigint) =>
  (
    await data()
      .handle.db.selectFrom("job")
      .select(["status", "attempts"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow()
  ).status;

describe("tokenbill jobs", () => {
  it("lists a job the runner failed for good, retries it, and refuses a retry of a job not failed", async () => {
    const kind = "cli.retry_test";
    const id = await enqueueRawJob(data().handle.db, { kind, orderingKey: "cli:1", payload: {} });
    const error = `SolusIO refused: user has servers ${"x".repeat(150)}`;
    await runJobs(kind, async () => {
      throw new PermanentJobError(error);
    });
    expect(await statusOf(id)).toBe("failed");

    const [table, json, unknown, badId] = await Promise.all([
      tokenbill("jobs", "failed"),
      tokenbill("jobs", "failed", "--json"),
      tokenbill("jobs", "retry", "999999999"),
      tokenbill("jobs", "retry", "abc"),
    ]);
    expect([table.code, table.stderr]).toEqual([0, ""]);
    const [header, rule, row, ...more] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^Id\s+Kind\s+Subject\s+Attempts\s+Failed at\s+Last error$/);
    expect(rule).toMatch(/^-+( +-+){5}$/);
    expect(more).toEqual([]);
    // The error cut to 120 characters in the table; --json gives it whole.
    expect(row).toMatch(
      new RegExp(`^ *${id}  ${kind}  cli:1 +1  \\S+Z  SolusIO refused: user has servers x{85}…$`),
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      data: [
        {
          id: Number(id),
          kind,
          subject: "cli:1",
          attempts: 1,
          last_error: error,
          failed_at: expect.any(String),
          created_at: expect.any(String),
        },
      ],
      meta: { count: 1, more: false },
    });
    // Not found: exit 3, as every command's (src/cli/output.ts); a bad id is refused before the database.
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([
      3,
      "",
      "error: job 999999999 not found\n",
    ]);
    expect([badId.code, badId.stderr]).toEqual([2, expect.stringMatching(/^error: <id>: must be an id/)]);

    const retried = await tokenbill("jobs", "retry", String(id), "--json");
    expect([retried.code, JSON.parse(retried.stdout)]).toEqual([0, { id: Number(id), status: "pending" }]);
    expect(await statusOf(id)).toBe("pending");
    await runJobs(kind, async () => {});
    expect(await statusOf(id)).toBe("done");

    // A job not failed: the verb's 409 words, exit 4, as the error envelope with --json.
    const [again, againJson, list] = await Promise.all([
      tokenbill("jobs", "retry", String(id)),
      tokenbill("jobs", "retry", String(id), "--json"),
      tokenbill("jobs", "failed"),
    ]);
    const words = `job ${id} is done, not failed: there is nothing to retry`;
    expect([again.code, again.stdout, again.stderr]).toEqual([4, "", `error: ${words}\n`]);
    expect([againJson.code, JSON.parse(againJson.stdout)]).toEqual([
      4,
      { error: { code: "CONFLICT", message: words, exit_code: 4 } },
    ]);
    expect([list.code, list.stdout.trimEnd().split("\n"), list.stderr]).toEqual([
      0,
      [expect.stringMatching(/^Id/), expect.stringMatching(/^--/)],
      "no job has failed\n",
    ]);
  }, 120_000);
});
