import { readFileSync } from "node:fs";
import { Command } from "commander";
import { installCommandTextCheck } from "./cli-text-input.ts";
import { installClosedOutputHandling } from "./closed-output.ts";
import { installRepeatedOptionCheck } from "./repeated-options.ts";

// The `tokenbill` command. Each sub-command parses its arguments, calls services, prints; nothing more.
// Only commander is imported up front: each command imports what it needs when it runs, so that `--help`
// and the light commands do not wait for the modules of all the others (tsx loads each module through a
// worker thread, a few milliseconds apiece).

// Before anything is written, help included: a reader that goes away must not crash the command.
installClosedOutputHandling();

function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

// A mistake on the command line (an unknown option, a missing one, an argument too many) is bad input: exit
// code 2 as for every other (reportCliError), never commander's own exit 1. Both settings pass to every
// command made from the program, groups' commands included.
const program = new Command("tokenbill")
  .description("Billing for SolusIO (SolusVM 2): token pricing, GetTokenPricing, users, invoices")
  // Which version runs, for an upgrade (docs/operations.md) or a report.
  .version(packageVersion(), "-V, --version", "print the version of tokenbill and exit")
  .showHelpAfterError()
  .allowExcessArguments(false)
  .exitOverride();
installCommandTextCheck(program);
installRepeatedOptionCheck(program);
/** The command whose action runs, so that a refusal can name its options (option-names.ts). */
let running: Command | undefined;
program.hook("preAction", async (_program, action) => {
  running = action;
  // serve stops gracefully on its own signals (serve-stop.ts) and the emulator has its own.
  if (["serve", "emulator"].includes(action.name())) return;
  const { quitOnSignal } = await import("./interrupt-signal.ts");
  const { reportCliError } = await import("./output.ts");
  const { jsonFailure } = await import("./json-errors.ts");
  const json = (action.opts() as { json?: boolean }).json === true;
  quitOnSignal(commandPath(action), (interrupted) => {
    const code = reportCliError(interrupted);
    if (json) process.stdout.write(jsonFailure(interrupted, code));
  });
});

/** `solusio setup`: the command's words after `tokenbill`. */
function commandPath(command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c && c !== program; c = c.parent) words.unshift(c.name());
  return words.join(" ");
}

program
  .command("serve")
  .description("run the HTTP server (admin API, GetTokenPricing); migrates the database first")
  .action(async () => {
    const { loadConfig, describeConfig } = await import("../config.ts");
    const { createLogger, prettyLogs } = await import("../logger.ts");
    const config = loadConfig();
    const logger = createLogger(config);
    // On a terminal the configuration dump (dozens of lines) would push the sandbox banner out of sight: it
    // goes to the debug level there; JSON logs keep it at info for log collectors.
    logger[prettyLogs(config, 1) ? "debug" : "info"](
      { config: describeConfig(config) },
      "starting tokenbill",
    );
    const { startServe } = await import("./serve-start.ts");
    const server = await startServe(config, logger);
    if (server.sandbox) {
      logger.info(
        { sandbox: true, emulator: server.sandbox.emulatorUrl },
        "SANDBOX MODE: SolusIO is the built-in emulator",
      );
      const { keyHint, sandboxBanner } = await import("./sandbox-banner.ts");
      process.stderr.write(
        sandboxBanner(server.url, server.sandbox.emulatorUrl, keyHint(config, server.adminKeyFile), {
          file: server.sandbox.loginsFile,
          staffEmail: server.sandbox.staffEmail,
        }),
      );
    }
  });

program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(async () => {
    const { withConfig } = await import("./with-context.ts");
    const { migrateDatabase } = await import("../app/database.ts");
    const { refuseThrowAwayDatabase } = await import("./throw-away-database.ts");
    await withConfig(async (config, logger) => {
      refuseThrowAwayDatabase(config);
      const applied = await migrateDatabase(config, logger);
      process.stdout.write(applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n");
    });
  });

program
  .command("config")
  .description("print the effective configuration (secrets masked) and exit")
  .action(async () => {
    const { loadConfig, describeConfig } = await import("../config.ts");
    process.stdout.write(`${JSON.stringify(describeConfig(loadConfig()), null, 2)}\n`);
  });

// The command groups. Each group's file is imported only when that group runs (or its help is asked for):
// importing every group's services made every command, even `--help`, load most of tokenbill first.
const GROUPS: { name: string; description: string; load: () => Promise<(group: Command) => void> }[] = [
  {
    name: "apikey",
    description: "admin API keys",
    load: async () => (await import("./apikey-commands.ts")).addApiKeyCommands,
  },
  {
    name: "pricing",
    description: "token pricing calculators (seed steps 1–2)",
    load: async () => (await import("./pricing-commands.ts")).addPricingCommands,
  },
  {
    name: "billing",
    description: "billing runs: usage → invoices",
    load: async () => (await import("./billing-commands.ts")).addBillingCommands,
  },
  {
    name: "invoices",
    description: "void an invoice, and reissue a void invoice's month (docs/billing-cycle.md)",
    load: async () => (await import("./invoice-commands.ts")).addInvoiceCommands,
  },
  {
    name: "payments",
    description: "payments, refunds, credit notes and statements (billing-rules §7)",
    load: async () => (await import("./payment-commands.ts")).addPaymentCommands,
  },
  {
    name: "dunning",
    description: "dunning: reminders, lock and suspension (billing-rules §8)",
    load: async () => (await import("./dunning-commands.ts")).addDunningCommands,
  },
  {
    name: "solusio",
    description: "the SolusIO side: setup, doctor, reconciliation",
    load: async () => (await import("./solusio-commands.ts")).addSolusioCommands,
  },
  {
    name: "staff",
    description: "staff users of the console (/console)",
    load: async () => (await import("./staff-commands.ts")).addStaffCommands,
  },
  {
    name: "database",
    description: "backup and restore of the embedded database",
    load: async () => (await import("./database-commands.ts")).addDatabaseCommands,
  },
];

/** The group the command line names: `tokenbill billing run …`, or `tokenbill help billing`. */
function requestedGroup(argv: readonly string[]): string | undefined {
  const [first, second] = argv.slice(2);
  return first === "help" ? second : first;
}

const wanted = requestedGroup(process.argv);
for (const group of GROUPS) {
  const command = program.command(group.name).description(group.description);
  if (group.name === wanted) (await group.load())(command);
}

program
  .command("emulator")
  .description("run the SolusIO emulator (same as npm run emulator)")
  .allowUnknownOption()
  .allowExcessArguments()
  .helpOption(false)
  .action(async (_opts, command: Command) => {
    const { CliUsageError, runEmulatorCli } = await import("../../emulator/main.ts");
    const { listenRefusal } = await import("./listen-refusal.ts");
    try {
      await runEmulatorCli(command.args, "tokenbill emulator");
    } catch (error) {
      // Its own mistakes on the command line come with its usage: exit 2 as `npm run emulator` gives.
      if (error instanceof CliUsageError) {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      const settings = { host: "--host (EMULATOR_HOST)", portOf: () => "--port (EMULATOR_PORT)" };
      throw listenRefusal(error, settings) ?? error;
    }
  });

// `tokenbill help bogus` printed the whole help and exited 2 without naming what it did not know, where
// `tokenbill bogus` says "unknown command": said the same way, before the help commander prints.
if (wanted !== undefined && process.argv[2] === "help" && !program.commands.some((c) => c.name() === wanted))
  process.stderr.write(`error: unknown command '${wanted}'\n`);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const { reportCliError } = await import("./output.ts");
  const { inOptionTerms } = await import("./option-names.ts");
  const { asksForJson, jsonFailure } = await import("./json-errors.ts");
  const { inSolusioTokenTerms } = await import("./solusio-refusal.ts");
  const failure = inSolusioTokenTerms(inOptionTerms(error, running));
  const code = reportCliError(failure);
  if (code !== 0 && asksForJson(program, process.argv)) process.stdout.write(jsonFailure(failure, code));
  process.exitCode = code;
}
