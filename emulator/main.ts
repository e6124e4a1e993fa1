import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { SeedError } from "./state/fresh-install.ts";

// The program entry: `npm run emulator` and `tokenbill emulator`. Flags win over environment variables. The
// server (start.ts: Fastify, pino) is imported once the command line is read: `--help` and a mistake on it
// need only this file (`tokenbill emulator --help` loaded both).

/** How `npm run emulator` is run; `tokenbill emulator` passes its own name, so the usage shows what was typed. */
const NPM_COMMAND = "npm run emulator --";

const usage = (command: string) => `Usage: ${command} [options]

  --host HOST        listen address (env EMULATOR_HOST, default 127.0.0.1)
  --port PORT        listen port, 0 = any free one (env EMULATOR_PORT, default 8090)
  --seed FILE        JSON seed: plans, locations, roles, limit groups, users, servers (env EMULATOR_SEED)
  --state FILE       keep the state in FILE across restarts (env EMULATOR_STATE)
  --now ISO-TIME     start with the clock frozen at this instant (env EMULATOR_NOW)
  --usage-path PATH  path of the usage endpoint under /api/v1 (env EMULATOR_USAGE_PATH, default usage)
  -h, --help         this text

The admin API token is EMULATOR_ADMIN_TOKEN, or generated and printed at start. See docs/emulator.md.`;

// Digits only: `z.coerce` took `0x10` as 16 and `1e3` as 1000, as the server's own settings no longer do.
const PORT_ERROR = "must be a whole number from 0 to 65535, written in digits";

const Config = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z
    .string()
    .regex(/^[0-9]{1,5}$/, PORT_ERROR)
    .transform(Number)
    .pipe(z.number().max(65_535, PORT_ERROR))
    .default(8090),
  adminToken: z.string().min(8, "EMULATOR_ADMIN_TOKEN must be at least 8 characters").optional(),
  seed: z.string().min(1).optional(),
  state: z.string().min(1).optional(),
  now: z.iso.datetime({ offset: true }).optional(),
  usagePath: z
    .string()
    .regex(/^[a-z0-9_/-]+$/i, "must be a path like usage or billing/usage")
    .optional(),
});

export class CliUsageError extends Error {}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

export function parseEmulatorConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
  command = NPM_COMMAND,
): z.output<typeof Config> | "help" {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        seed: { type: "string" },
        state: { type: "string" },
        now: { type: "string" },
        "usage-path": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new CliUsageError(`${(e as Error).message}\n\n${usage(command)}`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v["help"]) return "help";
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const result = Config.safeParse({
    host: str("host") ?? nonEmpty(env["EMULATOR_HOST"]),
    port: str("port") ?? nonEmpty(env["EMULATOR_PORT"]),
    adminToken: nonEmpty(env["EMULATOR_ADMIN_TOKEN"]),
    seed: str("seed") ?? nonEmpty(env["EMULATOR_SEED"]),
    state: str("state") ?? nonEmpty(env["EMULATOR_STATE"]),
    now: str("now") ?? nonEmpty(env["EMULATOR_NOW"]),
    usagePath: str("usage-path") ?? nonEmpty(env["EMULATOR_USAGE_PATH"]),
  });
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new CliUsageError(`Invalid emulator configuration:\n${problems}\n\n${usage(command)}`);
  }
  return result.data;
}

/** Runs until SIGINT or SIGTERM, then closes cleanly and resolves. */
export async function runEmulatorCli(argv: string[], command = NPM_COMMAND): Promise<void> {
  const config = parseEmulatorConfig(argv, process.env, command);
  if (config === "help") {
    process.stdout.write(`${usage(command)}\n`);
    return;
  }
  const { SeedFileError, startEmulator } = await import("./start.ts");
  const running = await startEmulator({
    host: config.host,
    port: config.port,
    adminToken: config.adminToken,
    seed: config.seed,
    stateFile: config.state,
    now: config.now ? new Date(config.now) : undefined,
    usagePath: config.usagePath,
  }).catch((error: unknown) => {
    // A seed that is not valid is a setting given wrong, as a bad --port is: it printed SeedError with a
    // stack trace and exit code 1.
    if (error instanceof SeedError || error instanceof SeedFileError)
      throw new CliUsageError(`--seed (EMULATOR_SEED): ${error.message}`);
    throw error;
  });
  const token = config.adminToken ? "(from EMULATOR_ADMIN_TOKEN)" : running.adminToken;
  process.stdout.write(
    `SolusIO emulator on ${running.url}\n  API:         ${running.apiUrl}\n  admin token: ${token}\n  user area:   ${running.url}/\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await running.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runEmulatorCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof CliUsageError ? 2 : 1;
  });
}
