import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";

// node-postgres reads an sslmode it does not know as "use TLS": DATABASE_URL=…?sslmode=bogus then failed at
// the first connection with "the server does not speak TLS", which sent the operator to the server's
// configuration instead of the setting's typo. The setting is refused when read, naming the values it takes.

describe("sslmode in a PostgreSQL URL setting", () => {
  it.each(["DATABASE_URL", "DATABASE_LISTEN_URL"])(
    "%s refuses an sslmode node-postgres does not know",
    (key) => {
      const settings = {
        DATABASE_URL: "postgres://app:secret-pw@db.example/tokenbill",
        [key]: "postgres://app:secret-pw@db.example/tokenbill?sslmode=bogus",
      };
      let message = "";
      try {
        parseConfig(settings);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(
        `${key}: sslmode must be disable, prefer, require, verify-ca, verify-full or no-verify`,
      );
      expect(message).not.toContain("secret-pw");
    },
  );

  it.each(["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"])(
    "takes sslmode=%s",
    (mode) => {
      const config = parseConfig({ DATABASE_URL: `postgres://app@db.example/tokenbill?sslmode=${mode}` });
      expect(config.DATABASE_URL).toContain(`sslmode=${mode}`);
    },
  );

  it("takes a URL without sslmode", () => {
    expect(parseConfig({ DATABASE_URL: "postgres://app@db.example/tokenbill" }).DATABASE_URL).toBe(
      "postgres://app@db.example/tokenbill",
    );
  });
});
