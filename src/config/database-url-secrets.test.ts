import { describe, expect, it } from "vitest";
import { tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";
import { parseConfig } from "../config.ts";

// A DATABASE_URL (or DATABASE_LISTEN_URL) that starts as one but is no URL: most often a password with a
// character a URL reserves (# / ? @ [) left unencoded. It used to pass the configuration and fail where the
// database was opened, with Node's TypeError "Invalid URL", whose `input` is the whole URL: `serve` logged it,
// password and all, on its "did not start" line, and the commands stopped with a stack trace (exit 1).

const MARKER = "SECRETMARKER7d41";
const UNREADABLE = [
  `postgres://billing:pw#${MARKER}@db.example.test:5432/billing`,
  `postgres://billing:pw${MARKER}@[::1/billing`,
  `postgres://billing:pw${MARKER}@db.example.test:99999/billing`,
];

describe("a PostgreSQL URL that cannot be read", () => {
  for (const url of UNREADABLE)
    for (const key of ["DATABASE_URL", "DATABASE_LISTEN_URL"])
      it(`is refused as ${key} by the configuration, without quoting it: ${url.replace(MARKER, "…")}`, () => {
        const settings = { DATABASE_URL: "postgres://billing@db.example.test/billing", [key]: url };
        let message = "";
        try {
          parseConfig(settings);
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toContain(`${key}: `);
        expect(message).toMatch(/percent-encode/);
        expect(message).not.toContain(MARKER);
      });

  it("stops serve with the configuration's refusal (exit 78), the password on none of its lines", async () => {
    const result = await tokenbillCommand(["serve"], { DATABASE_URL: UNREADABLE[0], PORT: "0" });
    expect(`${result.stdout}${result.stderr}`).not.toContain(MARKER);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("DATABASE_URL: ");
  });

  it("still takes what node-postgres reads: a socket directory, a percent-encoded password, no host", () => {
    for (const url of [
      "postgres://billing:p%40ss%23word@db.example.test:5432/billing",
      "postgresql://%2Fvar%2Frun%2Fpostgresql/billing",
      "postgres:///billing?host=/var/run/postgresql",
      "postgres://billing:pw word@db.example.test/billing",
    ])
      expect(parseConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });
});
