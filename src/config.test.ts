import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../test/helpers/test-temp-dir.ts";
import { ConfigError, describeConfig, loadConfig, maskUrl, parseConfig, publicUrl } from "./config.ts";
import { TAX_ROUNDINGS, type TaxRounding } from "./domain/invoice-math.ts";

describe("configuration", () => {
  it("runs on the embedded default with nothing set", () => {
    const config = loadConfig({}, testTempDir("tb-config-"));
    expect(config).toMatchObject({
      HOST: "127.0.0.1",
      PORT: 8080,
      DATA_DIR: "./data",
      PRICING_PATH: "/solusio/api",
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(publicUrl(config)).toBe("http://127.0.0.1:8080");
  });

  it("DATABASE_POOL_SIZE: 10 by default, a whole number from 2 to 1000", () => {
    expect(parseConfig({}).DATABASE_POOL_SIZE).toBe(10);
    expect(parseConfig({ DATABASE_POOL_SIZE: "25" }).DATABASE_POOL_SIZE).toBe(25);
    for (const refused of ["1", "1001", "2.5", "many"])
      expect(() => parseConfig({ DATABASE_POOL_SIZE: refused }), refused).toThrow(/DATABASE_POOL_SIZE/);
  });

  it("SOLUSIO_RETRY_BACKOFF_MS: 200 by default, a whole number from 10 to 5000 (the client's longest wait)", () => {
    expect(parseConfig({}).SOLUSIO_RETRY_BACKOFF_MS).toBe(200);
    expect(parseConfig({ SOLUSIO_RETRY_BACKOFF_MS: "10" }).SOLUSIO_RETRY_BACKOFF_MS).toBe(10);
    for (const refused of ["0", "9", "5001", "0.5"])
      expect(() => parseConfig({ SOLUSIO_RETRY_BACKOFF_MS: refused }), refused).toThrow(
        "SOLUSIO_RETRY_BACKOFF_MS: must be a whole number from 10 to 5000",
      );
  });

  it("takes whole-number settings in digits only, and an empty one as unset, so its default applies", () => {
    // Each read as 0 before: the payment terms, the listen port ("any free port") and the refresh interval.
    const empty = parseConfig({
      PAYMENT_TERMS_DAYS: "",
      PORT: " ",
      PRICING_REFRESH_MS: "",
      METRICS_PORT: "",
    });
    expect(empty.PAYMENT_TERMS_DAYS).toBe(14);
    expect(empty.PORT).toBe(8080);
    expect(empty.PRICING_REFRESH_MS).toBe(1000);
    expect(empty.METRICS_PORT).toBeUndefined();
    expect(parseConfig({ PAYMENT_TERMS_DAYS: "30", METRICS_PORT: "0" })).toMatchObject({
      PAYMENT_TERMS_DAYS: 30,
      METRICS_PORT: 0,
    });
    expect(parseConfig({ PAYMENT_TERMS_DAYS: 0 }).PAYMENT_TERMS_DAYS).toBe(0);
    // Spellings JavaScript would convert, and a config file's null and true (0 and 1 before).
    for (const refused of ["0x10", "1e1", "7.5", "+7", "-1", "7 days", "9".repeat(20), null, true, 7.5])
      expect(() => parseConfig({ PAYMENT_TERMS_DAYS: refused }), String(refused)).toThrow(
        "PAYMENT_TERMS_DAYS: must be a whole number from 0 to 365, written in digits",
      );
    expect(() => parseConfig({ PAYMENT_TERMS_DAYS: "366" })).toThrow(/PAYMENT_TERMS_DAYS/);
  });

  it("gives every interval a lower bound, 0 still switching off what 0 switches off", () => {
    // HOUSEKEEPING_INTERVAL_MS=1 vacuumed every table back to back: 152 info lines in 3 minutes, admin calls
    // held up to 1.1 s. RECONCILE_INTERVAL_MS=1 listed every SolusIO user as often; JOB_RETRY_CAP_MS=10
    // retried a failing job a hundred times a second.
    for (const [key, low, off] of [
      ["HOUSEKEEPING_INTERVAL_MS", 60_000, true],
      ["RECONCILE_INTERVAL_MS", 60_000, true],
      ["JOB_RETRY_CAP_MS", 1000, false],
    ] as const) {
      expect(parseConfig({ [key]: String(low) })[key], key).toBe(low);
      for (const refused of ["1", String(low - 1)])
        expect(() => parseConfig({ [key]: refused }), `${key}=${refused}`).toThrow(
          off
            ? new RegExp(
                `^Invalid configuration:\\n  - ${key}: must be 0 \\(never\\) or a whole number from ${low} to `,
              )
            : new RegExp(`^Invalid configuration:\\n  - ${key}: must be a whole number from ${low} to `),
        );
      if (off) expect(parseConfig({ [key]: "0" })[key], key).toBe(0);
      else expect(() => parseConfig({ [key]: "0" }), key).toThrow(key);
    }
  });

  it("has docs/configuration.md state the range of every whole-number setting", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "docs", "configuration.md"), "utf8");
    const ranged = Object.keys(describeConfig(parseConfig({}))).flatMap((key) => {
      // A value above every range makes each whole-number setting name its own.
      const refused = /must be (0 \((?:never|none)\) or )?a whole number from (\d+) to (\d+)/.exec(
        (() => {
          try {
            parseConfig({ [key]: "9".repeat(16) });
            return "";
          } catch (e) {
            return (e as Error).message;
          }
        })(),
      );
      return refused
        ? [{ key, range: `${refused[2]}–${refused[3]}`, orNever: refused[1] !== undefined }]
        : [];
    });
    expect(ranged.length).toBeGreaterThan(25);
    for (const { key, range, orNever } of ranged) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${key}\` |`)) ?? "";
      expect(row, key).toContain(`range ${range}`);
      if (orNever) expect(row, key).toMatch(new RegExp(`range ${range}[^|]*, or 0`));
    }
  });

  it("refuses a number with spaces around it, in the environment and in the file, as yes/no and named values are", () => {
    // " 5" was taken as 5, though a number is written in digits (docs/configuration.md); " true" and " info" never were.
    for (const padded of [" 5", "5 ", " 5 ", "\t5", "5\n", "\u00a05"]) {
      expect(() => parseConfig({ RETENTION_SESSIONS_DAYS: padded }), JSON.stringify(padded)).toThrow(
        "RETENTION_SESSIONS_DAYS: must be a whole number from 1 to 3650, written in digits, without spaces around it",
      );
      expect(() => loadConfig({ RETENTION_SESSIONS_DAYS: padded }, testTempDir("tb-config-"))).toThrow(
        /RETENTION_SESSIONS_DAYS: must be .* without spaces around it/,
      );
    }
    expect(() => parseConfig({ METRICS_PORT: " 0" })).toThrow(
      "METRICS_PORT: must be a whole number from 0 to",
    );
    expect(() => parseConfig({ HOUSEKEEPING_INTERVAL_MS: "0 " })).toThrow(
      "HOUSEKEEPING_INTERVAL_MS: must be 0 (never) or a whole number from 60000 to 86400000, written in digits, without spaces around it",
    );
    expect(() => parseConfig({ TRUST_PROXY: " 2 " })).toThrow(
      /^[^;]*TRUST_PROXY: must be .*, without spaces around it$/,
    );
    expect(() => parseConfig({ DUNNING_ENABLED: " true" })).toThrow(/DUNNING_ENABLED/);
    expect(parseConfig({ RETENTION_SESSIONS_DAYS: "5" }).RETENTION_SESSIONS_DAYS).toBe(5);
    // Blank is still unset, so the default applies; text settings still drop their spaces.
    expect(parseConfig({ RETENTION_SESSIONS_DAYS: "  ", SELLER_NAME: " Example " })).toMatchObject({
      RETENTION_SESSIONS_DAYS: 30,
      SELLER_NAME: "Example",
    });
  });

  it("says what a yes/no or a named value takes, and that spaces around it are what is wrong", () => {
    // A yes/no said only "is not valid", naming neither the spellings taken nor the spaces around " true".
    expect(() => parseConfig({ SMTP_REQUIRE_TLS: "maybe" })).toThrow(
      /SMTP_REQUIRE_TLS: must be true or false \(or yes or no, 1 or 0\)$/,
    );
    expect(() => loadConfig({ DUNNING_ENABLED: " true" }, testTempDir("tb-config-"))).toThrow(
      "DUNNING_ENABLED: must be true or false (or yes or no, 1 or 0), without spaces around it",
    );
    // A named value listed the names, but not that " info" was refused for its spaces.
    expect(() => parseConfig({ LOG_LEVEL: " info" })).toThrow(
      "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, without spaces around it",
    );
    expect(() => parseConfig({ USAGE_CROSS_CHECK: "snapshots " })).toThrow(
      "USAGE_CROSS_CHECK: must be one of off, solusio, snapshots, activity, snapshots+activity, without spaces around it",
    );
    expect(() => parseConfig({ TOKENBILL_SANDBOX: "ON" })).toThrow(
      /TOKENBILL_SANDBOX: must be one of auto, on, off$/,
    );
  });

  it("takes MAIL_FROM only as an address, or a name and an address in angle brackets", () => {
    // "billing" or a name alone was taken, to be the sender of every e-mail and the seller's e-mail on invoices.
    for (const wrong of [
      "billing",
      "Example Billing",
      "Example <billing>",
      "a b@example.com",
      "x@example.com\nBcc: y@example.com",
    ])
      expect(() => parseConfig({ MAIL_FROM: wrong }), JSON.stringify(wrong)).toThrow(
        "MAIL_FROM: must be an e-mail address (billing@example.com), or a name and one in angle brackets (Example Billing <billing@example.com>)",
      );
    for (const right of [
      "billing@localhost",
      "Example Billing <billing@example.com>",
      '"Doe, J" <j@example.com>',
    ])
      expect(parseConfig({ MAIL_FROM: right }).MAIL_FROM).toBe(right);
    expect(parseConfig({ MAIL_FROM: " billing@example.com " }).MAIL_FROM).toBe("billing@example.com");
  });

  it("takes HOST and DATA_DIR as written: spaces around them are refused at start", () => {
    // HOST=" 127.0.0.1" was taken, and serve failed after migrating with a stack trace (exit 1); DATA_DIR=" /srv/tb"
    // made a directory named " " in the working directory and opened a fresh database in it.
    expect(() => loadConfig({ HOST: " 127.0.0.1" }, testTempDir("tb-config-"))).toThrow(
      "HOST: must be written without spaces around it",
    );
    expect(() => parseConfig({ DATA_DIR: "/srv/tb " })).toThrow(
      "DATA_DIR: must be written without spaces around it",
    );
    // Anything was a HOST until 2026-12-05: `not a host!!` was refused only by the listen, after migrating.
    for (const host of ["::", "::1", "0.0.0.0", "localhost", "billing.example.com", "billing-1.example.com."])
      expect(parseConfig({ HOST: host }).HOST, host).toBe(host);
    for (const host of ["not a host!!", "[::1]", "a_b", "-x.example", "http://localhost", "a..b"])
      expect(() => parseConfig({ HOST: host }), host).toThrow("HOST: must be an IP address or a host name");
    expect(parseConfig({ HOST: "0.0.0.0", DATA_DIR: "/srv/tb" })).toMatchObject({
      HOST: "0.0.0.0",
      DATA_DIR: "/srv/tb",
    });
  });

  it("takes DATA_DIR=memory:// only as written: anything after it is refused, not made a directory", () => {
    expect(parseConfig({ DATA_DIR: "memory://" }).DATA_DIR).toBe("memory://");
    for (const refused of ["memory://x", "memory://data", "MEMORY://", "memory:/x", "memory:"])
      expect(() => parseConfig({ DATA_DIR: refused }), refused).toThrow(
        "DATA_DIR: must be memory:// exactly (nothing after it) for an in-memory database, or a directory",
      );
    expect(parseConfig({ DATA_DIR: "./memory" }).DATA_DIR).toBe("./memory");
  });

  it("takes an empty environment variable as unset: the file's value or the default applies", () => {
    const dir = testTempDir("tb-config-");
    writeFileSync(join(dir, "tokenbill.config.json"), JSON.stringify({ PORT: 9000 }));
    const config = loadConfig(
      { PORT: "", HOST: "", LOG_LEVEL: " ", DUNNING_LADDER: "", SOLUSIO_DEFAULT_LIMIT_GROUP: "" },
      dir,
    );
    expect(config).toMatchObject({ PORT: 9000, HOST: "127.0.0.1", LOG_LEVEL: "info" });
    expect(config.DUNNING_LADDER.length).toBeGreaterThan(0);
    // The one setting where empty says something: no default limit group.
    expect(config.SOLUSIO_DEFAULT_LIMIT_GROUP).toBeNull();
  });

  it("says, when SOLUSIO_LIMIT_GROUPS leaves out the default group, that the default is what is missing", () => {
    const groups = JSON.stringify([{ name: "A", vms: 1, running_vms: 1, additional_ips: 0 }]);
    // Before: "SOLUSIO_DEFAULT_LIMIT_GROUP: must name one of SOLUSIO_LIMIT_GROUPS", a setting never given.
    expect(() => parseConfig({ SOLUSIO_LIMIT_GROUPS: groups })).toThrow(
      'SOLUSIO_DEFAULT_LIMIT_GROUP: is "Default" (its default when unset), which SOLUSIO_LIMIT_GROUPS does not name (it names "A"): add a group named "Default", or set SOLUSIO_DEFAULT_LIMIT_GROUP to one of them, or to empty for none',
    );
    expect(() => parseConfig({ SOLUSIO_LIMIT_GROUPS: groups, SOLUSIO_DEFAULT_LIMIT_GROUP: "B" })).toThrow(
      'SOLUSIO_DEFAULT_LIMIT_GROUP: is "B", which SOLUSIO_LIMIT_GROUPS does not name (it names "A"): set it to one of them, or to empty for none',
    );
    expect(
      parseConfig({ SOLUSIO_LIMIT_GROUPS: groups, SOLUSIO_DEFAULT_LIMIT_GROUP: "A" })
        .SOLUSIO_DEFAULT_LIMIT_GROUP,
    ).toBe("A");
    expect(
      parseConfig({ SOLUSIO_LIMIT_GROUPS: groups, SOLUSIO_DEFAULT_LIMIT_GROUP: "" })
        .SOLUSIO_DEFAULT_LIMIT_GROUP,
    ).toBeNull();
  });

  it("takes an empty yes/no setting as unset, so what is on by default stays on", () => {
    // Both read as "no" before: dunning and paying from credit were switched off by an empty variable.
    const empty = parseConfig({ DUNNING_ENABLED: "", CREDIT_APPLY_ON_FINALIZE: " ", SMTP_SECURE: "" });
    expect(empty).toMatchObject({
      DUNNING_ENABLED: true,
      CREDIT_APPLY_ON_FINALIZE: true,
      SMTP_SECURE: false,
    });
    expect(parseConfig({ DUNNING_ENABLED: "no", SMTP_SECURE: "1" })).toMatchObject({
      DUNNING_ENABLED: false,
      SMTP_SECURE: true,
    });
    expect(() => parseConfig({ DUNNING_ENABLED: "off" })).toThrow(/DUNNING_ENABLED/);
  });

  it("TRUST_PROXY: off by default; yes trusts one hop; or a hop count; or the proxies' addresses", () => {
    const trust = (value: unknown) => parseConfig({ TRUST_PROXY: value }).TRUST_PROXY;
    expect(parseConfig({}).TRUST_PROXY).toBe(false);
    for (const off of ["", " ", "false", "no", "0", false, 0]) expect(trust(off), String(off)).toBe(false);
    // "true" passed Fastify `true` until 2026-12-04: every hop trusted, the left-most X-Forwarded-For taken,
    // which the client writes. Now it is the one proxy in front.
    for (const one of ["true", "yes", "1", true, 1]) expect(trust(one), String(one)).toBe(1);
    expect(trust("2")).toBe(2);
    expect(trust(3)).toBe(3);
    expect(trust("10.0.0.1, 192.168.0.0/16,::1 , fd00::/8")).toEqual([
      "10.0.0.1",
      "192.168.0.0/16",
      "::1",
      "fd00::/8",
    ]);
    expect(trust(["10.0.0.1", "127.0.0.0/8"])).toEqual(["10.0.0.1", "127.0.0.0/8"]);
    for (const bad of [
      "on",
      "-1",
      "1e3",
      "0x1",
      "33",
      "10.0.0.300",
      "10.0.0.0/33",
      "::1/129",
      "proxy.local",
      "10.0.0.1,,x",
      [],
      ["on"],
      1.5,
    ])
      expect(() => trust(bad), JSON.stringify(bad)).toThrow(/TRUST_PROXY: must be/);
    expect(() => trust("10.0.0.1, nginx")).toThrow(/"nginx" is neither/);
  });

  it("DATABASE_LISTEN_URL: a PostgreSQL URL beside DATABASE_URL, never alone, masked when described", () => {
    const db = "postgres://billing:pool-pw@pgbouncer.internal:6432/billing";
    const direct = "postgres://billing:direct-pw@db.internal:5432/billing";
    const config = parseConfig({ DATABASE_URL: db, DATABASE_LISTEN_URL: direct });
    expect(config.DATABASE_LISTEN_URL).toBe(direct);
    expect(describeConfig(config)["DATABASE_LISTEN_URL"]).toBe(
      "postgres://billing:********@db.internal:5432/billing",
    );
    expect(parseConfig({ DATABASE_URL: db, DATABASE_LISTEN_URL: "" }).DATABASE_LISTEN_URL).toBeUndefined();
    expect(() => parseConfig({ DATABASE_LISTEN_URL: direct })).toThrow(
      "DATABASE_LISTEN_URL: needs DATABASE_URL: it is another way into the same PostgreSQL database",
    );
    expect(() => parseConfig({ DATABASE_URL: db, DATABASE_LISTEN_URL: "mysql://x" })).toThrow(
      /DATABASE_LISTEN_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it("TAX_ROUNDING: per_invoice by default, per_line on request, anything else refused by name", () => {
    expect(parseConfig({}).TAX_ROUNDING).toBe("per_invoice");
    // The setting's value is what computeInvoiceTotals takes as taxRounding, with no mapping in between.
    const perLine: TaxRounding = parseConfig({ TAX_ROUNDING: "per_line" }).TAX_ROUNDING;
    expect(perLine).toBe("per_line");
    for (const value of TAX_ROUNDINGS) expect(parseConfig({ TAX_ROUNDING: value }).TAX_ROUNDING).toBe(value);
    expect(() => parseConfig({ TAX_ROUNDING: "per_tax" })).toThrow(/TAX_ROUNDING/);
  });

  it("CREDIT_NOTE_NUMBER_FORMAT: never a series that INVOICE_NUMBER_FORMAT also numbers from", () => {
    // The two series share the counters' table by key: one format for both drew invoices and credit notes
    // from one counter, leaving gaps in the invoice numbers (billing-rules §5).
    const refused = /CREDIT_NOTE_NUMBER_FORMAT.*numbers from the same counter as INVOICE_NUMBER_FORMAT/s;
    expect(() => parseConfig({ CREDIT_NOTE_NUMBER_FORMAT: "INV-{YYYY}-{000000}" })).toThrow(refused);
    // {YYYY} and 20{YY} name the same counter in every year tokenbill will see.
    const same = { INVOICE_NUMBER_FORMAT: "D{YYYY}/{0000}", CREDIT_NOTE_NUMBER_FORMAT: "D20{YY}/{0000}" };
    expect(() => parseConfig(same)).toThrow(refused);
    // Another counter width is another key, as is any other text.
    const widths = { INVOICE_NUMBER_FORMAT: "D{YYYY}/{0000}", CREDIT_NOTE_NUMBER_FORMAT: "D{YYYY}/{00000}" };
    expect(parseConfig(widths).CREDIT_NOTE_NUMBER_FORMAT).toBe("D{YYYY}/{00000}");
    expect(parseConfig({}).CREDIT_NOTE_NUMBER_FORMAT).toBe("CN-{YYYY}-{000000}");
  });

  it("USAGE_CROSS_CHECK: off by default, any other source, never the billed one", () => {
    expect(parseConfig({}).USAGE_CROSS_CHECK).toBe("off");
    // The old boolean still works: true meant the snapshots.
    expect(parseConfig({ USAGE_CROSS_CHECK: "true" }).USAGE_CROSS_CHECK).toBe("snapshots");
    expect(parseConfig({ USAGE_CROSS_CHECK: "no" }).USAGE_CROSS_CHECK).toBe("off");
    const pair = parseConfig({ USAGE_SOURCE: "snapshots+activity", USAGE_CROSS_CHECK: "solusio" });
    expect([pair.USAGE_SOURCE, pair.USAGE_CROSS_CHECK]).toEqual(["snapshots+activity", "solusio"]);
    expect(() => parseConfig({ USAGE_SOURCE: "activity", USAGE_CROSS_CHECK: "activity" })).toThrow(
      /USAGE_CROSS_CHECK.*must name another source than USAGE_SOURCE \(activity\)/s,
    );
    expect(() => parseConfig({ USAGE_CROSS_CHECK: "usage-api" })).toThrow(/USAGE_CROSS_CHECK/);
  });

  it("lists every problem at once", () => {
    let error: unknown;
    try {
      parseConfig({
        PORT: "http",
        DATABASE_URL: "mysql://x",
        BILLING_TIME_ZONE: "Mars/Base",
        TOKENBILL_ADMIN_API_KEY: "short",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const key of ["PORT", "DATABASE_URL", "BILLING_TIME_ZONE", "TOKENBILL_ADMIN_API_KEY"])
      expect(problems).toContain(key);
  });

  it("names BILLING_TIME_ZONE by its canonical IANA name however it was written", () => {
    expect(parseConfig({ BILLING_TIME_ZONE: "europe/berlin" }).BILLING_TIME_ZONE).toBe("Europe/Berlin");
    expect(parseConfig({ BILLING_TIME_ZONE: "Etc/UTC" }).BILLING_TIME_ZONE).toBe("UTC");
    expect(parseConfig({ BILLING_TIME_ZONE: "US/Pacific" }).BILLING_TIME_ZONE).toBe("America/Los_Angeles");
    expect(parseConfig({}).BILLING_TIME_ZONE).toBe("UTC");
    expect(() => parseConfig({ BILLING_TIME_ZONE: "Mars/Base" })).toThrow(
      /BILLING_TIME_ZONE.*IANA time zone/,
    );
  });

  it("rejects unknown keys in the config file, and lets the environment override the file", () => {
    const dir = testTempDir("tb-config-");
    writeFileSync(join(dir, "tokenbill.config.json"), JSON.stringify({ PORT: 9000, HOST: "0.0.0.0" }));
    expect(loadConfig({ PORT: "9100" }, dir)).toMatchObject({ PORT: 9100, HOST: "0.0.0.0" });
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ PROT: 1 }));
    expect(() => loadConfig({ TOKENBILL_CONFIG: join(dir, "bad.json") }, dir)).toThrow(
      /unknown setting\(s\): PROT/,
    );
    // A file found by itself is named too: "unknown setting(s): BOGUS" alone sent the operator to the environment.
    writeFileSync(join(dir, "tokenbill.config.json"), JSON.stringify({ BOGUS: 1, PORT: "http", HOST: "x" }));
    let found: unknown;
    try {
      loadConfig({ HOST: "0.0.0.0", LOG_LEVEL: "loud" }, dir);
    } catch (e) {
      found = e;
    }
    const file = join(dir, "tokenbill.config.json");
    expect((found as ConfigError).problems.sort()).toEqual([
      "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent",
      `PORT: must be a whole number from 0 to 65535, written in digits (in config file ${file})`,
      `unknown setting(s): BOGUS (in config file ${file})`,
    ]);
    writeFileSync(join(dir, "broken.json"), "{");
    expect(() => loadConfig({ TOKENBILL_CONFIG: join(dir, "broken.json") }, dir)).toThrow(/broken.json/);
  });

  it("takes a config file's webhook URL for a secret however short its secret segment is", () => {
    const dir = testTempDir("tb-config-");
    const file = join(dir, "tokenbill.config.json");
    const warnings: string[] = [];
    writeFileSync(
      file,
      JSON.stringify({ WEBHOOK_URLS: ["https://hooks.zapier.example/hooks/catch/1234567/b3xk9qz/"] }),
    );
    chmodSync(file, 0o644);
    loadConfig({ WEBHOOK_SECRET: "whsec_from_the_environment" }, dir, (line) => warnings.push(line));
    expect(warnings).toEqual([expect.stringContaining("holds secrets (WEBHOOK_URLS)")]);
  });

  it("warns, naming the file and chmod 600, when a config file with secrets is readable by others", () => {
    const dir = testTempDir("tb-config-");
    const file = join(dir, "tokenbill.config.json");
    const warnings: string[] = [];
    const load = () => loadConfig({}, dir, (line) => warnings.push(line));
    writeFileSync(
      file,
      JSON.stringify({
        SOLUSIO_URL: "https://solusio.example/api/v1",
        SOLUSIO_API_TOKEN: "a-secret-token",
        DATABASE_URL: "postgres://billing:hunter2@db/billing",
      }),
    );
    chmodSync(file, 0o644);
    expect(load().SOLUSIO_API_TOKEN).toBe("a-secret-token"); // warned, not refused
    expect(warnings).toEqual([
      `warning: config file ${file} holds secrets (SOLUSIO_API_TOKEN, DATABASE_URL) and other users may read it (mode 0644): chmod 600 ${file}`,
    ]);
    expect(warnings.join("")).not.toContain("a-secret-token");
    expect(warnings.join("")).not.toContain("hunter2");
    // Owner only: quiet. Readable by others but without secrets: quiet too.
    chmodSync(file, 0o600);
    load();
    writeFileSync(file, JSON.stringify({ PORT: 9000, TOKENBILL_PUBLIC_URL: "https://billing.example" }));
    chmodSync(file, 0o644);
    load();
    expect(warnings).toHaveLength(1);
  });

  it("masks secrets and database passwords when described", () => {
    const config = parseConfig({
      TOKENBILL_ADMIN_API_KEY: "a-very-secret-admin-key",
      SOLUSIO_PRICING_TOKEN: "tok",
      DATABASE_URL: "postgres://user:hunter2@db:5432/billing",
    });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain("a-very-secret-admin-key");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain('"tok"');
    expect(describeConfig(config)["SOLUSIO_PRICING_TOKEN"]).toBe("********");
  });

  it("reads the invoice delivery settings and masks their secrets", () => {
    const config = parseConfig({
      SMTP_HOST: "smtp.example.test",
      SMTP_PASSWORD: "smtp-hunter2",
      SELLER_ADDRESS: "1 Harbour Road | | Springfield ",
      WEBHOOK_URLS: " https://hooks.example.test/a , http://hooks.example.test/b?token=pw-in-url",
      WEBHOOK_SECRET: "whsec_hunter3",
    });
    expect([config.SMTP_PORT, config.SMTP_SECURE, config.MAIL_FROM]).toEqual([
      587,
      false,
      "billing@localhost",
    ]);
    expect(config.SELLER_ADDRESS).toEqual(["1 Harbour Road", "Springfield"]);
    expect(config.WEBHOOK_URLS).toEqual([
      "https://hooks.example.test/a",
      "http://hooks.example.test/b?token=pw-in-url",
    ]);
    const described = describeConfig(config);
    expect([described["SMTP_PASSWORD"], described["WEBHOOK_SECRET"]]).toEqual(["********", "********"]);
    const text = JSON.stringify(described);
    for (const secret of ["smtp-hunter2", "whsec_hunter3", "pw-in-url"]) expect(text).not.toContain(secret);
    expect(parseConfig({}).WEBHOOK_URLS).toEqual([]);
    expect(parseConfig({}).SMTP_HOST).toBeUndefined();
  });

  it("warns of a setting given without the partner it is read with, naming both; refuses a bad SMTP_HOST", () => {
    const warnings: string[] = [];
    const lone = {
      SOLUSIO_API_TOKEN: "t",
      WEBHOOK_SECRET: "whsec_x",
      STRIPE_WEBHOOK_SECRET: "whsec_y",
      SMTP_PASSWORD: "p",
    };
    // Taken in silence before: each is read only with its partner, so it did nothing.
    loadConfig(lone, testTempDir("tb-config-"), (line) => warnings.push(line));
    expect(warnings).toEqual([
      "warning: SOLUSIO_API_TOKEN is set without SOLUSIO_URL, so it is not used: no SolusIO is configured (sandbox mode where it may run); set SOLUSIO_URL too, or unset SOLUSIO_API_TOKEN",
      "warning: WEBHOOK_SECRET is set without WEBHOOK_URLS, so it is not used: no webhooks are sent; set WEBHOOK_URLS too, or unset WEBHOOK_SECRET",
      "warning: STRIPE_WEBHOOK_SECRET is set without STRIPE_SECRET_KEY, so it is not used: online payments are off; set STRIPE_SECRET_KEY too, or unset STRIPE_WEBHOOK_SECRET",
      "warning: SMTP_PASSWORD is set without SMTP_USER, so it is not used: mail is sent without logging in; set SMTP_USER too, or unset SMTP_PASSWORD",
    ]);
    warnings.length = 0;
    loadConfig(
      {
        ...lone,
        SOLUSIO_URL: "https://solusio.example/api/v1",
        WEBHOOK_URLS: "https://hooks.example/a",
        STRIPE_SECRET_KEY: "sk_test_x",
        SMTP_USER: "u",
      },
      testTempDir("tb-config-"),
      (line) => warnings.push(line),
    );
    expect(warnings).toEqual([]);
    expect(() => parseConfig({ SMTP_HOST: "bad host name!" })).toThrow(
      "SMTP_HOST: must be an IP address or a host name",
    );
    expect(parseConfig({ SMTP_HOST: " smtp.example.com " }).SMTP_HOST).toBe("smtp.example.com");
  });

  it("requires WEBHOOK_SECRET with WEBHOOK_URLS, and only http(s) URLs", () => {
    expect(() => parseConfig({ WEBHOOK_URLS: "https://hooks.example.test/a" })).toThrow(
      /WEBHOOK_SECRET: is required when WEBHOOK_URLS is set/,
    );
    expect(() => parseConfig({ WEBHOOK_URLS: "ftp://hooks.example.test/a", WEBHOOK_SECRET: "s" })).toThrow(
      /WEBHOOK_URLS\.0/,
    );
  });

  it("refuses a WEBHOOK_URLS entry that is no URL as a setting, not with a TypeError", () => {
    // The check for a user name parsed every entry, a refused one too, and threw "Invalid URL" past the
    // configuration's list of problems (exit 1 with a stack, where a setting's problem exits 78).
    for (const [urls, bad] of [
      ["not a url", 0],
      ["https://hooks.example.test/a?ids=1,2", 1],
    ] as const)
      expect(() => parseConfig({ WEBHOOK_URLS: urls, WEBHOOK_SECRET: "s" }), urls).toThrow(
        new RegExp(`^Invalid configuration:\\n  - WEBHOOK_URLS\\.${bad}: `),
      );
  });

  it("refuses a WEBHOOK_URLS entry with a user name or password (fetch never sends it), naming the entry, not the password", () => {
    let error: unknown;
    try {
      parseConfig({
        WEBHOOK_URLS: "https://hooks.example.test/a,https://hook:pw-in-url@hooks.example.test/b",
        WEBHOOK_SECRET: "s",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /WEBHOOK_URLS\.1: https:\/\/hooks\.example\.test carries a user name or password/,
    );
    expect(message).not.toContain("pw-in-url");
  });

  it("takes WEBHOOK_URLS from the environment as a JSON array too, so a URL may hold a comma", () => {
    const env = {
      WEBHOOK_URLS:
        ' ["https://hooks.example.test/in?events=paid,voided&token=wh-q-tok", "https://b.example.test/x"] ',
      WEBHOOK_SECRET: "whsec_x",
    };
    // Split on its commas before: "…?events=paid" and "voided&token=…", which is no URL.
    expect(loadConfig(env, testTempDir("tb-config-")).WEBHOOK_URLS).toEqual([
      "https://hooks.example.test/in?events=paid,voided&token=wh-q-tok",
      "https://b.example.test/x",
    ]);
    expect(parseConfig({ ...env, WEBHOOK_URLS: "[]" }).WEBHOOK_URLS).toEqual([]);
    for (const malformed of ['["https://hooks.example.test/in?token=wh-q-tok"', "[https://a.example.test]"]) {
      let error: unknown;
      try {
        parseConfig({ ...env, WEBHOOK_URLS: malformed });
      } catch (e) {
        error = e;
      }
      expect((error as Error).message, malformed).toContain(
        'WEBHOOK_URLS: starts with "[" but is not a JSON array: write each item in double quotes, separated by commas, as ["first", "second"]; or give the items comma-separated without the brackets',
      );
      // JSON.parse's own message quotes the text, token and all.
      expect((error as Error).message, malformed).not.toMatch(/wh-q-tok|a\.example/);
    }
    expect(() => parseConfig({ ...env, WEBHOOK_URLS: '["https://a.example.test", 7]' })).toThrow(
      /WEBHOOK_URLS\.1: /,
    );
  });

  it("takes PDF_FALLBACK_FONTS as existing files, comma-separated or a JSON array, a collection's face after #", () => {
    const dir = testTempDir("tokenbill-fonts-");
    const a = join(dir, "a.ttf");
    const b = join(dir, "b.ttc");
    writeFileSync(a, "");
    writeFileSync(b, "");
    expect(parseConfig({}).PDF_FALLBACK_FONTS).toEqual([]);
    expect(
      parseConfig({ PDF_FALLBACK_FONTS: ` ${a} , ${b}#NotoSansCJKjp-Regular` }).PDF_FALLBACK_FONTS,
    ).toEqual([a, `${b}#NotoSansCJKjp-Regular`]);
    expect(parseConfig({ PDF_FALLBACK_FONTS: [a] }).PDF_FALLBACK_FONTS).toEqual([a]);
    expect(parseConfig({ PDF_FALLBACK_FONTS: JSON.stringify([a, b]) }).PDF_FALLBACK_FONTS).toEqual([a, b]);
    expect(() => parseConfig({ PDF_FALLBACK_FONTS: `${a},${join(dir, "missing.ttf")}` })).toThrow(
      `PDF_FALLBACK_FONTS.1: no such font file: ${join(dir, "missing.ttf")}`,
    );
  });

  it("masks credentials in every URL-valued setting, keeping the hosts that tell the URLs apart", () => {
    const config = parseConfig({
      DATABASE_URL: "postgres://billing:db-hunter2@db.internal:5432/billing?sslmode=require",
      SOLUSIO_URL: "https://apiuser:solusio-pw1@solus.example.test/api/v1?api_token=solusio-q-tok",
      SOLUSIO_API_TOKEN: "solusio-api-token-value",
      SOLUSIO_USER_AREA_URL: "https://solus.example.test/#area-fragment-secret",
      TOKENBILL_PUBLIC_URL: "https://billing.example.test/hook/0123456789abcdef0123",
      WEBHOOK_URLS:
        "https://hooks.example.test/T0/B1/abcdef123456secret,https://hooks.example.test/in?token=wh-q-tok",
      WEBHOOK_SECRET: "whsec_x",
    });
    const described = describeConfig(config);
    const text = JSON.stringify(described);
    for (const secret of [
      "db-hunter2",
      "solusio-pw1",
      "solusio-q-tok",
      "area-fragment-secret",
      "0123456789abcdef0123",
      "abcdef123456secret",
      "wh-q-tok",
    ])
      expect(text).not.toContain(secret);
    expect(described["DATABASE_URL"]).toBe(
      "postgres://billing:********@db.internal:5432/billing?sslmode=********",
    );
    expect(described["SOLUSIO_URL"]).toBe(
      "https://apiuser:********@solus.example.test/api/v1?api_token=********",
    );
    // A webhook receiver's path is its secret, of whatever length it chose: every segment is masked.
    expect(described["WEBHOOK_URLS"]).toEqual([
      "https://hooks.example.test/********/********/********",
      "https://hooks.example.test/********?token=********",
    ]);
    // A URL with nothing to hide is printed exactly as configured.
    expect(
      describeConfig(
        parseConfig({ SOLUSIO_URL: "https://solus.example.test/api/v1", SOLUSIO_API_TOKEN: "t" }),
      )["SOLUSIO_URL"],
    ).toBe("https://solus.example.test/api/v1");
  });

  it("masks a webhook URL's short secret segments, which the start log and `tokenbill config` print", () => {
    // Zapier catch hooks: the account and the hook id, a few characters each, letters only at times.
    const config = parseConfig({
      WEBHOOK_URLS:
        "https://hooks.zapier.example/hooks/catch/1234567/b3xk9qz/,https://hooks.zapier.example/hooks/catch/1234567/abcdef/",
      WEBHOOK_SECRET: "whsec_x",
    });
    const masked = "https://hooks.zapier.example/********/********/********/********/";
    expect(describeConfig(config)["WEBHOOK_URLS"]).toEqual([masked, masked]);
  });

  it("masks the segment after one that names a token, whatever its length (SolusIO's single sign-on)", () => {
    expect(maskUrl("https://ua.example/auth/by_token/a1b2c3")).toBe(
      "https://ua.example/auth/by_token/********",
    );
    expect(maskUrl("https://h.example/trigger/paid/with/key/dK3x9")).toBe(
      "https://h.example/trigger/paid/with/key/********",
    );
    // A short id after an ordinary name stays: it tells the calls of a log apart.
    expect(maskUrl("https://solus.example/api/v1/users/123456")).toBe(
      "https://solus.example/api/v1/users/123456",
    );
  });

  it("masks token-like path segments but keeps names, and masks relative and unparsable URLs", () => {
    expect(maskUrl("https://h.example/api/webhooks/123456789012345678/aBcDeFgHiJkLmNoP")).toBe(
      "https://h.example/api/webhooks/********/********",
    );
    expect(maskUrl("https://h.example/invoice-notifications/v1")).toBe(
      "https://h.example/invoice-notifications/v1",
    );
    expect(maskUrl("https://ghp_AbCdEf0123456789@h.example/x")).toBe("https://********@h.example/x");
    expect(maskUrl("/solusio/api?token=abc&userid=")).toBe("/solusio/api?token=********&userid=");
    expect(maskUrl("not a url with a secret")).toBe("********");
  });

  it("reads SMTP_REQUIRE_TLS as a boolean, off by default", () => {
    expect(parseConfig({}).SMTP_REQUIRE_TLS).toBe(false);
    expect(parseConfig({ SMTP_REQUIRE_TLS: "true" }).SMTP_REQUIRE_TLS).toBe(true);
    expect(() => parseConfig({ SMTP_REQUIRE_TLS: "maybe" })).toThrow(/SMTP_REQUIRE_TLS/);
  });
});
