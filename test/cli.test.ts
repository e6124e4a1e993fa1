import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandDataDir, commandsOnSharedDatabase, tokenbillCommand } from "./helpers/tokenbill-command.ts";

// The `tokenbill` command as a user runs it, as a child process. Most commands share one embedded database,
// held here as a running serve holds it, so that each need not open it (helpers/tokenbill-command.ts); the
// tests of what a command does before or without opening one give it a directory of their own.

const { data: shared, tokenbill } = commandsOnSharedDatabase();

describe("tokenbill CLI", () => {
  it("prints the seed's plan table (billing-rules §6)", async () => {
    const r = await tokenbill("pricing", "plans", "--tph", "7,14,21,28");
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split("\n")
      .slice(2)
      .map((line) => line.trim().split(/\s{2,}/));
    expect(rows).toEqual([
      ["7", "5,208", "$5.21", "5,000", "$5.00"],
      ["14", "10,416", "$10.42", "10,000", "$10.00"],
      ["21", "15,624", "$15.62", "15,000", "$15.00"],
      ["28", "20,832", "$20.83", "20,000", "$20.00"],
    ]);
  });

  it("prints the plan table as JSON, and the conversion scheme (billing-rules §1)", async () => {
    const [json, scheme] = await Promise.all([
      tokenbill("pricing", "plans", "--tph", "7", "--json"),
      tokenbill("pricing", "conversion"),
    ]);
    expect(JSON.parse(json.stdout).rows[0]).toMatchObject({
      aggregated_tokens: 5208,
      suggested_tokens_per_month: 5000,
    });
    const last = scheme.stdout
      .trim()
      .split("\n")
      .at(-1)!
      .trim()
      .split(/\s{2,}/);
    expect(last).toEqual(["10,000", "$10.00000", "€9.10000"]);
  });

  it("prints token counts beyond 2^53 exactly, and refuses a tph whose month cannot be stored", async () => {
    const [json, table, refused] = await Promise.all([
      tokenbill("pricing", "plans", "--tph", "12397005425880075", "--json"),
      tokenbill("pricing", "plans", "--tph", "12397005425880075"),
      tokenbill("pricing", "plans", "--tph", "9223372036854775807"),
    ]);
    expect(json.code).toBe(0);
    expect(json.stdout).toContain('"aggregated_tokens": "9223372036854775800"');
    expect(json.stdout).toContain('"suggested_tokens_per_month": "9000000000000000000"');
    expect(
      table.stdout
        .trim()
        .split("\n")
        .at(-1)!
        .trim()
        .split(/\s{2,}/),
    ).toEqual([
      "12,397,005,425,880,075",
      "9,223,372,036,854,775,800",
      "$9,223,372,036,854,775.80",
      "9,000,000,000,000,000,000",
      "$9,000,000,000,000,000.00",
    ]);
    expect([refused.code, refused.stdout]).toEqual([2, ""]);
    expect(refused.stderr).toContain(
      "error: --tph: must be at most 12397005425880075 (got 9223372036854775807)",
    );
  });

  it("says no sandbox runs when the one a stopped serve left behind answers nothing", async () => {
    const data = await commandDataDir();
    try {
      // A port nothing listens on any more, as after `serve` stopped.
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise((resolve) => server.close(resolve));
      writeFileSync(
        join(data.dir, "sandbox.json"),
        JSON.stringify({ url: `http://127.0.0.1:${port}`, adminToken: "left-behind" }),
        { mode: 0o600 },
      );
      const r = await tokenbillCommand(["solusio", "doctor"], { DATA_DIR: data.dir });
      // Before: "FAIL connection … check SOLUSIO_URL", though no SOLUSIO_URL was ever set.
      expect([r.code, r.stderr]).toEqual([
        6,
        "error: no SolusIO configured (SOLUSIO_URL, SOLUSIO_API_TOKEN) and no sandbox running: start `tokenbill serve` first\n",
      ]);
    } finally {
      data.remove();
    }
  });

  it("refuses the solusio commands without SOLUSIO_URL where no sandbox can run: a setting to fix, exit 78", async () => {
    // Before: "no SolusIO configured … start `tokenbill serve` first", exit 6, though serve starts no sandbox on
    // DATABASE_URL. Refused before the database is opened: nothing listens on port 1.
    // Each command a process of its own, none depending on another: all at once.
    const commands = ["doctor", "setup", "bind", "reconcile"];
    const [off, ...answers] = await Promise.all([
      tokenbillCommand(["solusio", "doctor"], { TOKENBILL_SANDBOX: "off" }),
      ...commands.map((command) =>
        tokenbillCommand(["solusio", command], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" }),
      ),
    ]);
    for (const [i, command] of commands.entries()) {
      const r = answers[i]!;
      expect([r.code, r.stdout, r.stderr], command).toEqual([
        78,
        "",
        "error: SOLUSIO_URL is not set, so this command has no SolusIO to work with (the sandbox never runs on DATABASE_URL): set SOLUSIO_URL and SOLUSIO_API_TOKEN.\n",
      ]);
    }
    expect([off.code, off.stderr]).toEqual([
      78,
      "error: SOLUSIO_URL is not set, so this command has no SolusIO to work with (TOKENBILL_SANDBOX is off): set SOLUSIO_URL and SOLUSIO_API_TOKEN.\n",
    ]);
  }, 120_000);

  it("prints its version, as package.json gives it", async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8"));
    const flags = ["--version", "-V"];
    for (const [i, r] of (await Promise.all(flags.map((flag) => tokenbill(flag)))).entries())
      expect([r.code, r.stdout], flags[i]).toEqual([0, `${version}\n`]);
  });

  it("lists every command group, and a group's commands once it is named (groups load when they run)", async () => {
    const [top, billing, payments, unknown] = await Promise.all([
      tokenbill("--help"),
      tokenbill("help", "billing"),
      tokenbill("payments", "--help"),
      tokenbill("bilig"),
    ]);
    expect(top.code).toBe(0);
    for (const group of [
      "apikey",
      "pricing",
      "billing",
      "invoices",
      "payments",
      "dunning",
      "solusio",
      "staff",
    ]) {
      expect(top.stdout).toMatch(new RegExp(`^  ${group} +\\S`, "m"));
    }
    expect(billing.stdout).toMatch(/^ {2}run \[options\] +bill one period/m);
    expect(billing.stdout).toMatch(/^ {2}poll \[options\] +record one poll/m);
    expect(payments.stdout).toMatch(/^ {2}credit-note /m);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'bilig'");
  });

  it("answers a mistake on the command line in one line naming its --help, exit code 2, before running anything", async () => {
    const [missing, extra] = await Promise.all([
      tokenbill("pricing", "plans"),
      tokenbill("billing", "runs", "2026-10"),
    ]);
    expect(missing.code).toBe(2);
    // It was followed by a blank line and the command's whole help.
    expect(missing.stderr).toBe(
      "error: required option '--tph <list>' not specified (see `tokenbill pricing plans --help`)\n",
    );
    // An argument the command does not take is refused, not ignored.
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("error: too many arguments for 'runs'");
    expect(extra.stdout).toBe("");
  });

  it("rejects fractional tokens with a clear message and exit code 2", async () => {
    const r = await tokenbill("pricing", "plans", "--tph", "7,7.5");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: --tph: must be a whole number of tokens");
    expect(r.stdout).toBe("");
  });

  it("names the option in a refusal, not the field of the verb it fed", async () => {
    const [date, payment, customer, long] = await Promise.all([
      tokenbill(
        "payments",
        "record",
        "--customer",
        "1",
        "--amount",
        "5",
        "--reference",
        "r1",
        "--date",
        "2026-02-31",
      ),
      tokenbill("payments", "refund", "--payment", "pay_x", "--amount", "1"),
      tokenbill("payments", "statement", "--customer", "abc"),
      tokenbill("payments", "statement", "--customer", "1".repeat(25)),
    ]);
    expect(date.code).toBe(2);
    // It said "paid_at: …", a name the person typing never saw.
    expect(date.stderr).toMatch(/^error: --date: must be a date written YYYY-MM-DD/);
    expect(payment.code).toBe(2);
    expect(payment.stderr).toBe("error: --payment: must be a payment id (pay_…)\n");
    expect(customer.stderr).toBe(
      "error: --customer: must be an id: a whole number from 1 to 9223372036854775807 (at most 19 digits)\n",
    );
    // zod's own words ("Too big: expected string to have <=19 characters") no more, nor a count of characters
    // (until 2026-12-05): 25 digits are no id, said as for "abc".
    expect([long.code, long.stderr]).toEqual([
      2,
      "error: --customer: must be an id: a whole number from 1 to 9223372036854775807 (at most 19 digits)\n",
    ]);
  }, 120_000); // four CLI processes

  it("says a payment or credit note no one has is not found, naming only the id given", async () => {
    // It said "payment_id: payment pay_00 not found", the verb's name for the argument.
    const [payment, creditNote] = await Promise.all([
      tokenbill("payments", "show", "pay_00"),
      tokenbill("payments", "show", "cn_00"),
    ]);
    expect(payment).toMatchObject({
      code: 3,
      stderr: "error: payment pay_00 not found\n",
    });
    expect(creditNote).toMatchObject({
      code: 3,
      stderr: "error: credit note cn_00 not found\n",
    });
  });

  it("refuses control characters in options and arguments before opening the database, with exit code 2", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "tb-cli-text-")), "data");
    try {
      const [name, reason] = await Promise.all([
        tokenbillCommand(
          ["staff", "create", "--email", "ann@example.com", "--role", "support", "--name", "\u001b[31mAnn"],
          { DATA_DIR: dataDir },
        ),
        tokenbillCommand(
          ["payments", "refund", "--payment", "pay_1", "--amount", "1", "--reason", "typo \u202Eevil"],
          { DATA_DIR: dataDir },
        ),
      ]);
      expect(name.code).toBe(2);
      expect(name.stderr).toBe("error: --name: must not contain control characters\n");
      expect(reason.code).toBe(2);
      expect(reason.stderr).toContain(
        "--reason: must not contain a text-direction control character (U+202E)",
      );
      // Nothing was opened: the embedded database would have made its directory.
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it("refuses a payment reference holding an invisible character, naming --reference and the character, with exit code 2", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "tb-cli-reference-")), "data");
    try {
      // "DUP-1" + U+200B was recorded as a second payment beside "DUP-1", and listed as one more "DUP-1".
      const r = await tokenbillCommand(
        ["payments", "record", "--customer", "1", "--amount", "5", "--reference", "DUP-1\u200b"],
        { DATA_DIR: dataDir },
      );
      expect([r.code, r.stdout, r.stderr]).toEqual([
        2,
        "",
        "error: --reference: must not contain invisible characters (U+200B at character 6): it is compared as written, and would look like another\n",
      ]);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it("says billing run and poll need a SolusIO, with exit code 78, pointing sandbox mode to serve's admin API", async () => {
    // Sandbox mode: no SOLUSIO_URL, the emulator inside serve. Both said "SOLUSIO_URL: is required…", exit 2.
    const [run, month, poll, snapshots] = await Promise.all([
      tokenbillCommand(["billing", "run", "--period", "2026-10"], { DATA_DIR: shared().dir }),
      tokenbillCommand(["billing", "run", "--period", "2026-13"], { DATA_DIR: shared().dir }),
      tokenbillCommand(["billing", "poll"], { DATA_DIR: shared().dir }),
      tokenbillCommand(["billing", "run", "--period", "2026-10", "--json"], {
        DATA_DIR: shared().dir,
        USAGE_SOURCE: "snapshots",
      }),
    ]);
    expect([run.code, run.stdout]).toEqual([78, ""]);
    expect(run.stderr).toBe(
      "error: SOLUSIO_URL is not set, so this command has no SolusIO to read usage from. In sandbox mode the " +
        "emulator lives inside `tokenbill serve`: bill the period through serve's admin API, " +
        'POST /api/v1/billing-runs with {"period":"YYYY-MM"} (README, "Bill a month against the sandbox"). ' +
        "For a real SolusIO, set SOLUSIO_URL and SOLUSIO_API_TOKEN.\n",
    );
    // The period is still checked first, whatever the state of SolusIO.
    expect([month.code, month.stderr]).toEqual([2, expect.stringMatching(/^error: --period: /)]);
    expect([poll.code, poll.stdout]).toEqual([78, ""]);
    expect(poll.stderr).toContain("through serve's admin API, POST /api/v1/server-polls");
    // A billing run from the snapshots needs no SolusIO: it goes on (and finds no usage).
    expect([snapshots.code, JSON.parse(snapshots.stdout).source]).toEqual([0, "snapshots"]);
  }, 120_000);

  it("prints the configuration with secrets masked, and fails listing every config problem", async () => {
    const [ok, bad] = await Promise.all([
      tokenbillCommand(["config"], { DATA_DIR: shared().dir, SOLUSIO_PRICING_TOKEN: "s3cr3t-value" }),
      tokenbillCommand(["config"], { DATA_DIR: shared().dir, PORT: "x", LOG_LEVEL: "loud" }),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain("s3cr3t-value");
    expect(JSON.parse(ok.stdout).SOLUSIO_PRICING_TOKEN).toBe("********");
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain("PORT");
    expect(bad.stderr).toContain("LOG_LEVEL");
  });

  it("refuses to serve with an interval too short to be one, exit code 78, listing each", async () => {
    // HOUSEKEEPING_INTERVAL_MS=1 was taken: serve vacuumed every table back to back.
    const r = await tokenbillCommand(
      ["serve"],
      {
        HOUSEKEEPING_INTERVAL_MS: "1",
        RECONCILE_INTERVAL_MS: "50",
        JOB_RETRY_CAP_MS: "10",
        PORT: "4731",
        TOKENBILL_SANDBOX: "off",
      },
      { timeoutMs: 30_000 },
    );
    expect([r.code, r.stdout]).toEqual([78, ""]);
    expect(r.stderr).toContain(
      "HOUSEKEEPING_INTERVAL_MS: must be 0 (never) or a whole number from 60000 to 86400000, written in digits",
    );
    expect(r.stderr).toContain("RECONCILE_INTERVAL_MS: must be 0 (never) or a whole number from 60000 to");
    expect(r.stderr).toContain("JOB_RETRY_CAP_MS: must be a whole number from 1000 to 3600000");
  });

  it("refuses a command on DATA_DIR=memory:// in one line with exit code 78, but runs the calculators", async () => {
    const memory = { DATA_DIR: "memory://" };
    const refused = "error: DATA_DIR is memory://, a database that lives only as long as one process";
    // Before, each "succeeded" on a database of its own that vanished when it exited.
    const refusals: string[][] = [
      [
        "staff",
        "create",
        "--email",
        "kept@example.com",
        "--role",
        "support",
        "--password",
        "a-long-password-1",
      ],
      ["migrate"],
      ["solusio", "doctor"],
      ["database", "backup", "--out", "kept.tar.gz"],
    ];
    // All at once: the calculator's process makes its in-memory database (initdb and every migration, most of
    // this test's time), and the others need not wait for it.
    const [plans, postgres, ...answers] = await Promise.all([
      tokenbillCommand(["pricing", "plans", "--tph", "7", "--json"], memory),
      // PostgreSQL wins over DATA_DIR: memory:// is then no database at all, and not refused for it.
      tokenbillCommand(["apikey", "list"], {
        ...memory,
        DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
      }),
      ...refusals.map((args) => tokenbillCommand(args, memory)),
    ]);
    for (const [i, args] of refusals.entries()) {
      const r = answers[i]!;
      expect([r.code, r.stdout], args.join(" ")).toEqual([78, ""]);
      expect(r.stderr.split("\n"), args.join(" ")).toEqual([expect.stringContaining(refused), ""]);
    }
    expect([plans.code, JSON.parse(plans.stdout).rows[0].suggested_tokens_per_month]).toEqual([0, 5000]);
    expect(postgres.code).toBe(6);
  }, 120_000);

  it("refuses memory:// with anything after it as a setting, for every command, `config` too", async () => {
    // Before, memory://x was the directory ./memory:/x: `migrate` applied there and `apikey create` printed a
    // key stored nowhere a later command looked, past the refusal above.
    const commands = [["migrate"], ["apikey", "create", "--name", "n"], ["config"], ["serve"]];
    const answers = await Promise.all(
      commands.map((args) => tokenbillCommand(args, { DATA_DIR: "memory://x" })),
    );
    for (const [i, args] of commands.entries()) {
      const r = answers[i]!;
      expect([r.code, r.stdout], args.join(" ")).toEqual([78, ""]);
      expect(r.stderr, args.join(" ")).toContain(
        "DATA_DIR: must be memory:// exactly (nothing after it) for an in-memory database, or a directory",
      );
    }
  }, 120_000);

  it("says the database cannot be reached, with exit code 6, when PostgreSQL refuses the connection", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const r = await tokenbillCommand(["apikey", "list"], {
      DATA_DIR: shared().dir,
      DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
    });
    expect(r.code).toBe(6);
    expect(r.stderr.trim()).toBe(
      "error: the database: cannot be reached (connection refused); try again shortly",
    );
  });
});
