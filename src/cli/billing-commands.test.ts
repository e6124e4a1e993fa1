import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import {
  type SharedCommandDataDir,
  sharedCommandDataDir,
  tokenbillCommand,
} from "../../test/helpers/tokenbill-command.ts";

// `tokenbill billing run` as outside checks call it: exit 0 only when the run completed, and --json prints
// the summary. A child process on an embedded database (held by this test, as serve holds it) reads usage
// from an emulator.

let em: RunningEmulator;
let data: SharedCommandDataDir;

const tokenbill = (env: Record<string, string>, ...args: string[]) =>
  tokenbillCommand(args, { DATA_DIR: data.dir, LOG_LEVEL: "warn", ...env });

beforeAll(async () => {
  data = await sharedCommandDataDir();
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-11-02T00:00:00Z"),
    seed: {
      plans: [{ id: 1, name: "7/5000", tokens_per_hour: 7, tokens_per_month: 5000 }],
      users: [{ id: 5, email: "a@example.com", billing_user_id: 77 }],
      servers: [{ name: "web", user: 5, plan: 1, created_at: "2026-10-01T00:00:00Z" }],
    },
  });
});
afterAll(async () => {
  await em?.close();
  await data?.remove();
});

describe("tokenbill billing run", () => {
  it("exits 0 when the run completed and prints its summary with --json", async () => {
    const r = await tokenbill(
      { SOLUSIO_URL: em.apiUrl, SOLUSIO_API_TOKEN: em.adminToken },
      "billing",
      "run",
      "--period",
      "2026-10",
      "--json",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // The embedded database has no customer 77: the usage is reported, never dropped.
    expect(JSON.parse(r.stdout)).toMatchObject({
      period: "2026-10",
      state: "completed",
      source: "solusio",
      usage_records: 1,
      customers: 0,
      invoices: { created: 0, finalized: 0 },
      totals: [],
      anomalies: { total: 1, by_kind: { unknown_billing_user: 1 } },
    });
  });

  it("exits non-zero when the run cannot complete: a bad period (2), SolusIO unreachable (6)", async () => {
    const bad = await tokenbill(
      { SOLUSIO_URL: em.apiUrl, SOLUSIO_API_TOKEN: em.adminToken },
      "billing",
      "run",
      "--period",
      "October",
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/period: must be a month written YYYY-MM/);
    const down = await tokenbill(
      { SOLUSIO_URL: "http://127.0.0.1:9/api/v1", SOLUSIO_API_TOKEN: "x" },
      "billing",
      "run",
      "--period",
      "2026-10",
    );
    expect(down.code).toBe(6);
    // The first call is the check that this SolusIO is the database's own (docs/solusio-integration.md).
    // With what to check, in doctor's words (solusio-failure-fix.ts): it was the bare error.
    expect(down.stderr).toMatch(
      /^error: SolusIO: GET users: .*ECONNREFUSED.*: check SOLUSIO_URL \(it ends in \/api\/v1\), the network/,
    );
  });

  // A configuration the command cannot work with, as README's exit codes say: it was 2, invalid input.
  it("exits 78 naming SOLUSIO_URL when usage is to come from SolusIO and none is configured", async () => {
    const none = await tokenbill(
      { SOLUSIO_URL: "", SOLUSIO_API_TOKEN: "", USAGE_SOURCE: "solusio" },
      "billing",
      "run",
      "--period",
      "2026-10",
    );
    expect(none.code).toBe(78);
    expect(none.stderr).toMatch(
      /^error: SOLUSIO_URL is not set, so this command has no SolusIO to read usage from/,
    );
  });
});
