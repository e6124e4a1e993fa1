import { existsSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { listenRefusal } from "./listen-refusal.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";
import { type CommandDataDir, tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";

// `tokenbill serve` or `tokenbill emulator` on a port another program holds, and the emulator given an option
// it does not know. Before, each ended with "error: Error: listen EADDRINUSE …" or "error: Error: Unknown
// option …" and a stack trace, exit code 1 (and the emulator's own `npm run emulator` said it with exit 2).

const dirs: CommandDataDir[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) d.remove();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A port another program listens on for the test's length. */
async function takenPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("a port that is taken", () => {
  it("is refused by serve in one line naming PORT, exit code 4 as for a DATA_DIR in use", async () => {
    const port = await takenPort();
    // A DATA_DIR not there yet stays so, and no sandbox starts: refused before the database is made (until
    // 2026-12-06 after, leaving a new data directory behind and an emulator's log line).
    const dataDir = join(testTempDir("tb-port-"), "data");
    const r = await tokenbillCommand(["serve"], {
      DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
    });
    expect([r.code, r.stderr]).toEqual([
      4,
      `error: 127.0.0.1:${port} is in use by another program (another tokenbill serve?): stop it, or set PORT to a free port\n`,
    ]);
    expect(existsSync(dataDir)).toBe(false);
    expect(r.stdout).not.toContain("emulator");
    // The JSON log on stdout says it too, at error: before, it ended at "starting tokenbill".
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toEqual(
      expect.objectContaining({
        level: 50,
        code: "CONFLICT",
        msg: `tokenbill did not start: 127.0.0.1:${port} is in use by another program (another tokenbill serve?): stop it, or set PORT to a free port`,
      }),
    );
  });

  it("is refused the same way when it is METRICS_PORT's, naming METRICS_PORT", async () => {
    const port = await takenPort();
    const dataDir = join(testTempDir("tb-port-"), "data");
    const r = await tokenbillCommand(["serve"], {
      DATA_DIR: dataDir,
      PORT: "0",
      METRICS_PORT: String(port),
      TOKENBILL_SANDBOX: "off",
      LOG_LEVEL: "error",
    });
    expect([r.code, r.stderr]).toEqual([
      4,
      `error: 127.0.0.1:${port} is in use by another program (another tokenbill serve?): stop it, or set METRICS_PORT to a free port\n`,
    ]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("is refused by the emulator in one line naming --port, exit code 4", async () => {
    const port = await takenPort();
    const r = await tokenbillCommand(["emulator", "--port", String(port)]);
    expect([r.code, r.stderr]).toEqual([
      4,
      `error: 127.0.0.1:${port} is in use by another program (another tokenbill serve?): stop it, or set --port (EMULATOR_PORT) to a free port\n`,
    ]);
  });
});

describe("a HOST that names no machine", () => {
  it("is refused by serve in one line naming HOST, exit code 78, without a stack trace", async () => {
    // A DATA_DIR not there yet stays so: refused before the database is made or migrated (after, until 2026-12-05).
    const dataDir = join(testTempDir("tb-host-"), "data");
    const r = await tokenbillCommand(["serve"], {
      DATA_DIR: dataDir,
      HOST: "tokenbill-host.invalid",
      PORT: "0",
      TOKENBILL_SANDBOX: "off",
      LOG_LEVEL: "error",
    });
    // It said "error: Error: getaddrinfo ENOTFOUND tokenbill-host.invalid" with a stack trace, exit code 1.
    expect([r.code, r.stderr]).toEqual([
      78,
      "error: tokenbill-host.invalid is not a name of this machine (no address found for it): set HOST to one of its addresses or names\n",
    ]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("is refused with the configuration when it is no host name at all: `config` and serve, exit 78", async () => {
    const dataDir = join(testTempDir("tb-host-"), "data");
    const refused = "HOST: must be an IP address or a host name (letters, digits, hyphens and dots)";
    for (const args of [["config"], ["serve"]]) {
      const r = await tokenbillCommand(args, { DATA_DIR: dataDir, HOST: "not a host!!", PORT: "0" });
      expect([r.code, r.stdout], args.join(" ")).toEqual([78, ""]);
      expect(r.stderr, args.join(" ")).toContain(refused);
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("tokenbill emulator given a bad option", () => {
  it("says so in one line pointing to its --help, exit code 2, as npm run emulator does", async () => {
    const r = await tokenbillCommand(["emulator", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: Unknown option '--bogus' (see `tokenbill emulator --help`)\n");
    expect(r.stderr).not.toContain("    at ");
  });

  it("says a seed that is not valid, or not there, in its own words, exit code 2 (not SeedError's stack)", async () => {
    const dir = testTempDir("tb-seed-");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ plans: [{ name: 1 }] }));
    const r = await tokenbillCommand(["emulator", "--port", "0", "--seed", bad]);
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toMatch(
      /^error: --seed \(EMULATOR_SEED\): The seed is not valid:\n {2}- plans\.0\.name: [^\n]+\n(?: {2}- [^\n]+\n)*\(see `tokenbill emulator --help`\)\n$/,
    );
    expect(r.stderr).not.toContain("    at ");
    const missing = await tokenbillCommand(["emulator", "--port", "0", "--seed", join(dir, "none.json")]);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      expect.stringMatching(
        /^error: --seed \(EMULATOR_SEED\): Cannot read the seed file .*none\.json: ENOENT[^\n]*\n$/,
      ),
    ]);
  });

  // The usage names the command that was run: it said `npm run emulator -- [options]` here too.
  it("gives its help under the name tokenbill emulator", async () => {
    const r = await tokenbillCommand(["emulator", "--help"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^Usage: tokenbill emulator \[options\]\n/);
    expect(r.stdout).not.toContain("npm run");
  });
});

describe("listenRefusal", () => {
  /** The error Node's listen gives, with the fields it sets. */
  const listenError = (code: string, address: string, port: number) =>
    Object.assign(new Error(`listen ${code}: ${address}:${port}`), {
      code,
      syscall: "listen",
      address,
      port,
    });
  const settings = { host: "HOST", portOf: (port: number) => (port === 80 ? "PORT" : undefined) };

  it("makes a port this user may not open, or a host that is not this machine's, a setting to change (78)", () => {
    const denied = listenRefusal(listenError("EACCES", "0.0.0.0", 80), settings);
    expect(denied).toBeInstanceOf(UnfitConfigurationError);
    expect(denied?.message).toBe(
      "not allowed to listen on 0.0.0.0:80 (ports below 1024 need privileges): set PORT to 1024 or above",
    );
    const elsewhere = listenRefusal(listenError("EADDRNOTAVAIL", "10.9.9.9", 8080), settings);
    expect(elsewhere?.message).toBe("10.9.9.9 is not an address of this machine: set HOST to one");
  });

  it("makes a HOST no resolver knows a setting to change (78), as an address of another machine is", () => {
    // Node's error for a host name whose lookup fails, before any listen.
    const lookup = Object.assign(new Error("getaddrinfo ENOTFOUND billing.example.invalid"), {
      code: "ENOTFOUND",
      syscall: "getaddrinfo",
      hostname: "billing.example.invalid",
    });
    const refused = listenRefusal(lookup, settings);
    expect(refused).toBeInstanceOf(UnfitConfigurationError);
    expect(refused?.message).toBe(
      "billing.example.invalid is not a name of this machine (no address found for it): set HOST to one of its addresses or names",
    );
  });

  it("names the port generically when no setting chose it, and leaves other errors alone", () => {
    const taken = listenRefusal(listenError("EADDRINUSE", "127.0.0.1", 9), settings);
    expect(taken).toBeInstanceOf(ServiceError);
    expect(taken?.message).toMatch(/set the port to a free port$/);
    expect(listenRefusal(new Error("boom"), settings)).toBeUndefined();
    expect(listenRefusal(Object.assign(new Error("x"), { code: "EADDRINUSE" }), settings)).toBeUndefined();
  });
});
