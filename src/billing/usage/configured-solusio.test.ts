import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config.ts";
import { SolusioApi } from "../../solusio/solusio-api.ts";
import { SolusioClient } from "../../solusio/solusio-client.ts";
import { configuredSolusioApi } from "./configured-solusio.ts";

// Billing reaches SolusIO only through the context's integration; without one, the error says what to
// configure (exit code 2 from the CLI, see billing-commands.test.ts) instead of trying some other way.

describe("configuredSolusioApi", () => {
  it("is the context's SolusIO API", async () => {
    const apiUrl = "http://127.0.0.1:9/api/v1";
    // Nothing is called: the address is never dialled.
    const client = new SolusioClient({ baseUrl: apiUrl, token: "t" });
    const api = new SolusioApi(client);
    const solusio = {
      connection: {
        api,
        apiUrl,
        userAreaUrl: "http://127.0.0.1:9",
        sandbox: false,
        recordCallsOnlyWhile: () => {},
        close: () => client.close(),
      },
      limitGroupId: async () => undefined,
    };
    try {
      expect(configuredSolusioApi({ config: parseConfig({}), solusio })).toBe(api);
    } finally {
      await client.close();
    }
  });

  it("names SOLUSIO_URL when no SolusIO is configured", () => {
    expect(() => configuredSolusioApi({ config: parseConfig({}) })).toThrow(
      expect.objectContaining({
        code: "VALIDATION",
        issues: [{ field: "SOLUSIO_URL", message: "is required to read usage from SolusIO" }],
      }),
    );
  });

  it("refuses a configured SolusIO this process is not connected to, rather than calling it some other way", () => {
    const config = parseConfig({ SOLUSIO_URL: "http://127.0.0.1:9/api/v1", SOLUSIO_API_TOKEN: "t" });
    expect(() => configuredSolusioApi({ config })).toThrow(
      expect.objectContaining({
        code: "UPSTREAM_UNAVAILABLE",
        message: expect.stringMatching(/not connected/),
      }),
    );
  });
});
