import { Command } from "commander";
import { migrateDatabase } from "../app/database.ts";
import { describeConfig, loadConfig } from "../config.ts";
import { createLogger, prettyLogs } from "../logger.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys/api-keys.ts";
import { reportCliError } from "./output.ts";
import { addBillingCommands } from "./billing-commands.ts";
import { addPaymentCommands } from "./payment-commands.ts";
import { addDunningCommands } from "./dunning-commands.ts";
import { addPricingCommands } from "./pricing-commands.ts";
import { addSolusioCommands } from "./solusio-commands.ts";
import { addStaffCommands } from "./staff-commands.ts";
import { withConfig, withSystemContext } from "./with-context.ts";

// The `tokenbill` command. Each sub-command parses its arguments, calls services, prints; nothing more.

function keyHint(config: { TOKENBILL_ADMIN_API_KEY?: string | undefined }, file: string | undefined): string {
  if (config.TOKENBILL_ADMIN_API_KEY) return "$TOKENBILL_ADMIN_API_KEY";
  return file ? `$(cat ${file})` : "<an admin API key>";
}

function sandboxBanner(
  url: string,
  emulatorUrl: string,
  key: string,
  logins: { file: string | undefined; staffEmail: string },
): string {
  const where = logins.file ? `passwords in ${logins.file}` : "passwords: DATA_DIR is memory://, none kept";
  return [
    "",
    "  ┌─ tokenbill — SANDBOX MODE ─────────────────────────────────────────────",
    "  │ No SolusIO is configured, so the built-in SolusIO emulator runs here.",
    `  │ Staff console         ${url}/console   (log in as ${logins.staffEmail})`,
    `  │ Customer portal       ${url}/portal    (demo customers' logins)`,
    `  │ Demo logins           ${where}`,
    `  │ tokenbill admin API   ${url}/api/v1   (Authorization: Bearer ${key})`,
    `  │ GetTokenPricing       ${url}${"/solusio/api"}`,
    `  │ SolusIO emulator API  ${emulatorUrl}/api/v1`,
    `  │ SolusIO user area     ${emulatorUrl}  (log in: POST ${url}/api/v1/customers/1/sso)`,
    "  │ Without SMTP_HOST, portal login and reset links are written to the log.",
    "  │ Set SOLUSIO_URL and SOLUSIO_API_TOKEN to use a real SolusIO instead.",
    "  └────────────────────────────────────────────────────────────────────────",
    "",
  ].join("\n");
}

const program = new Command("tokenbill")
  .description("Billing for SolusIO (SolusVM 2): token pricing, GetTokenPricing, users, invoices")
  .showHelpAfterError();

program
  .command("serve")
  .description("run the HTTP server (admin API, GetTokenPricing); migrates the database first")
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger(config);
    // On a terminal the configuration dump (dozens of lines) would push the sandbox banner out of sight: it
    // goes to the debug level there; JSON logs keep it at info for log collectors.
    logger[prettyLogs(config, 1) ? "debug" : "info"](
      { config: describeConfig(config) },
      "starting tokenbill",
    );
    // Loaded here: the HTTP server (Fastify, pages, PDF fonts) is the bulk of startup, and only serve needs it.
    const { startServer } = await import("../app/server.ts");
    const server = await startServer(config, logger);
    logger.info(
      {
        url: server.url,
        pricing: `${server.url}${config.PRICING_PATH}`,
        openapi: `${server.url}/api/v1/openapi.json`,
      },
      "tokenbill is listening",
    );
    if (server.sandbox) {
      logger.info(
        { sandbox: true, emulator: server.sandbox.emulatorUrl },
        "SANDBOX MODE: SolusIO is the built-in emulator",
      );
      process.stderr.write(
        sandboxBanner(server.url, server.sandbox.emulatorUrl, keyHint(config, server.adminKeyFile), {
          file: server.sandbox.loginsFile,
          staffEmail: server.sandbox.staffEmail,
        }),
      );
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      // Whatever happens while closing (a log pipe gone with its reader, a hung connection), the process
      // ends: cleanly when it can, after 10 s at the latest.
      setTimeout(() => process.exit(1), 10_000).unref();
      try {
        logger.info({ signal }, "shutting down");
        await server.close();
      } finally {
        process.exit(0);
      }
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
  });

program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(async () =>
    withConfig(async (config, logger) => {
      const applied = await migrateDatabase(config, logger);
      process.stdout.write(applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n");
    }),
  );

program
  .command("config")
  .description("print the effective configuration (secrets masked) and exit")
  .action(() => {
    process.stdout.write(`${JSON.stringify(describeConfig(loadConfig()), null, 2)}\n`);
  });

const apikey = program.command("apikey").description("admin API keys");
apikey
  .command("create")
  .description("create an admin API key (audited); it is printed once and stored only as a hash")
  .requiredOption("--name <name>", "what the key is for")
  .action(async (opts: { name: string }) =>
    withSystemContext(async (ctx) => {
      const key = await createApiKey({ ctx, input: { name: opts.name } });
      process.stdout.write(
        `id:   ${key.id}\nname: ${key.name}\nkey:  ${key.key}\n(store the key now: it cannot be shown again)\n`,
      );
    }),
  );
apikey
  .command("list")
  .description("list admin API keys (never the keys themselves)")
  .action(async () =>
    withSystemContext(async (ctx) => {
      for (let page = 1, last = 1; page <= last; page++) {
        const result = await listApiKeys({ ctx, input: { page, per_page: 500 } });
        last = result.meta.last_page;
        for (const k of result.data) {
          const state = k.revoked_at ? `revoked ${k.revoked_at}` : "active";
          process.stdout.write(
            `${k.id}  ${k.prefix ?? "-"}  ${k.name}  ${state}  last used ${k.last_used_at ?? "never"}\n`,
          );
        }
      }
    }),
  );
apikey
  .command("revoke <id>")
  .description("revoke an admin API key (audited); revoking a revoked key changes nothing")
  .action(async (id: string) =>
    withSystemContext(async (ctx) => {
      const { key, changed } = await revokeApiKey({ ctx, input: { id } });
      process.stdout.write(changed ? `revoked ${id}\n` : `${id} was already revoked at ${key.revoked_at}\n`);
    }),
  );

addPricingCommands(program);
addBillingCommands(program);
addPaymentCommands(program);
addDunningCommands(program);
addSolusioCommands(program);
addStaffCommands(program);

program
  .command("emulator")
  .description("run the SolusIO emulator (same as npm run emulator)")
  .allowUnknownOption()
  .helpOption(false)
  .action(async (_opts, command: Command) => {
    const { runEmulatorCli } = await import("../../emulator/main.ts");
    await runEmulatorCli(command.args);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportCliError(error);
}
