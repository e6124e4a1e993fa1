import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { type Logger, pino } from "pino";
import { type ConfigInput, parseConfig } from "../../src/config.ts";
import type { BackupStream } from "../../src/db/backup-spool.ts";
import type { Database } from "../../src/db/schema.ts";
import { buildServer } from "../../src/http/server.ts";
import type { SolusioIntegration } from "../../src/solusio/integration.ts";

export const TEST_ADMIN_KEY = "test-admin-key-0123456789";

export interface TestServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
  /** fetch against the server with the admin key; JSON in, parsed JSON out. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** tokenbill's real HTTP server on a random loopback port, over the given database. */
export async function startTestServer(
  db: Kysely<Database>,
  overrides: Partial<ConfigInput> = {},
  extra: {
    solusio?: SolusioIntegration;
    now?: () => Date;
    logger?: Logger;
    warmPricingIndex?: boolean;
    newerSchema?: () => readonly string[] | undefined;
    backup?: (signal?: AbortSignal) => Promise<BackupStream>;
    /** The address to listen on (default 127.0.0.1): a LAN address for what browsers treat loopback apart in. */
    host?: string;
  } = {},
): Promise<TestServer> {
  const config = parseConfig({
    TOKENBILL_ADMIN_API_KEY: TEST_ADMIN_KEY,
    PORT: 0,
    LOG_LEVEL: "silent",
    ...overrides,
  });
  const { host = "127.0.0.1", ...deps } = extra;
  const app = await buildServer({ config, db, logger: pino({ level: "silent" }), ...deps });
  await app.listen({ host, port: 0 });
  const address = app.server.address();
  const url = `http://${host}:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    app,
    close: () => app.close(),
    api: async (method, path, body) => {
      const response = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_KEY}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** POST to GetTokenPricing the way SolusIO does: form-urlencoded. */
export async function postPricing(
  url: string,
  fields: Record<string, string>,
  path = "/solusio/api",
): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: await response.json() };
}
