import pino from "pino";
import { describe, expect, it } from "vitest";
import { testCommandDataDir } from "../../test/helpers/tokenbill-command.ts";
import { parseConfig } from "../config.ts";
import { startServer } from "./server.ts";

// serve says at start when the links it gives customers name its own HOST and PORT (public-url-warning.ts;
// the cases are in public-url-warning.test.ts).

/**
 * Starts serve on a throw-away embedded database without SolusIO or the sandbox; what it logged at start. The
 * database is a copy of the run's migrated one: on memory:// serve ran initdb and every migration first, most of
 * the test's time, for a warning that reads only the settings.
 */
async function startLines(settings: Record<string, string | number>): Promise<string[]> {
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line).msg) });
  const { dir } = await testCommandDataDir();
  const server = await startServer(
    parseConfig({ DATA_DIR: dir, TOKENBILL_SANDBOX: "off", PORT: 0, ...settings }),
    logger,
  );
  await server.close();
  return lines;
}

describe.skipIf(process.env["DATABASE_URL"])("serve without TOKENBILL_PUBLIC_URL", () => {
  it("warns that the links it gives out name its HOST and PORT", async () => {
    const lines = await startLines({ HOST: "127.0.0.1" });
    expect(lines).toContain(
      "TOKENBILL_PUBLIC_URL is not set: single sign-on and the portal's e-mailed links name http://127.0.0.1:0 " +
        "(HOST and PORT), which customers' browsers cannot open unless they run on this machine; set " +
        "TOKENBILL_PUBLIC_URL to the address they reach tokenbill at, e.g. https://billing.example.com",
    );
  });
});
