import { readFileSync } from "node:fs";
import { Command, type Option } from "commander";

// The command table of `tokenbill`: every command and group, without side effects, so that a test can walk
// it (every-command-json.test.ts) as main.ts runs it. Only commander is imported up front: each command
// imports what it needs when it runs, so that `--help` and the light commands do not wait for the modules of
// all the others (tsx loads each module through a worker thread, a few milliseconds apiece).

function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

// The command groups. Each group's file is imported only when that group runs (or its help is asked for):
// importing every group's services made every command, even `--help`, load most of tokenbill first.
export const COMMAND_GROUPS: {
  name: string;
  description: string;
  load: () => Promise<(group: Command) => void>;
}[] = [
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
    name: "jobs",
    description: "background jobs that failed for good: list and retry (as /console/jobs)",
    load: async () => (await import("./job-commands.ts")).addJobCommands,
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
    description: "backup and restore of the embedded database; the ledger's late-rows pass",
    load: async () => (await import("./database-commands.ts")).addDatabaseCommands,
  },
];

/**
 * The program with its commands; a group's commands are added only when `loadsGroup` says so (main.ts loads
 * only the group the command line names).
 */
export async function tokenbillProgram(loadsGroup: (name: string) => boolean): Promise<Command> {
  // A mistake on the command line (an unknown option, a missing one, an argument too many) is bad input: exit
  // code 2 as for every other (reportCliError), never commander's own exit 1. Both settings pass to every
  // command made from the program, groups' commands included.
  const program = new Command("tokenbill")
    .description("Billing for SolusIO (SolusVM 2): token pricing, GetTokenPricing, users, invoices")
    // Which version runs, for an upgrade (docs/operations.md) or a report.
    .version(packageVersion(), "-V, --version", "print the version of tokenbill and exit")
    .allowExcessArguments(false)
    .exitOverride();
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
          sandboxBanner(
            server.url,
            server.sandbox.emulatorUrl,
            keyHint(config, server.adminKeyFile),
            {
              file: server.sandbox.loginsFile,
              staffEmail: server.sandbox.staffEmail,
            },
            { smtpHost: config.SMTP_HOST },
          ),
        );
      }
    });

  program
    .command("migrate")
    .description("apply database migrations and exit")
    .option("--json", 'print {"applied": [migration, …]} as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { withConfig } = await import("./with-context.ts");
      const { migrateDatabase } = await import("../app/database.ts");
      const { refuseThrowAwayDatabase } = await import("./throw-away-database.ts");
      await withConfig(async (config, logger) => {
        refuseThrowAwayDatabase(config);
        const applied = await migrateDatabase(config, logger);
        if (opts.json) process.stdout.write(`${JSON.stringify({ applied }, null, 2)}\n`);
        else
          process.stdout.write(
            applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n",
          );
      });
    });

  program
    .command("config")
    .description("print the effective configuration (secrets masked) and exit")
    // Its output is JSON either way; --json makes a failure (a bad setting) the error envelope on stdout too.
    .option("--json", "print JSON (as without it), and a failure as the error envelope")
    .action(async () => {
      const { loadConfig, describeConfig } = await import("../config.ts");
      process.stdout.write(`${JSON.stringify(describeConfig(loadConfig()), null, 2)}\n`);
    });

  for (const group of COMMAND_GROUPS) {
    const command = program.command(group.name).description(group.description);
    if (loadsGroup(group.name)) (await group.load())(command);
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
          // As every other command's mistake (oneLineMistakes): its usage is behind --help. What the
          // mistake is stays whole: a seed's or a configuration's problems are listed on the lines after.
          const mistake = error.message.replace(/\n\nUsage:[\s\S]*$/, "");
          const see = "(see `tokenbill emulator --help`)";
          process.stderr.write(
            mistake.includes("\n") ? `error: ${mistake}\n${see}\n` : `error: ${mistake} ${see}\n`,
          );
          process.exitCode = 2;
          return;
        }
        const settings = { host: "--host (EMULATOR_HOST)", portOf: () => "--port (EMULATOR_PORT)" };
        throw listenRefusal(error, settings) ?? error;
      }
    });

  requiredOptionsAfterUnknownOnes(program);
  return program;
}

/** The program and every command in it, groups' commands included (those loaded). */
function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/**
 * commander checks required options before unknown ones, so `staff create --emial a@b --role owner` said
 * "required option '--email <email>' not specified", which sends the person to an option they believe they
 * gave. Required options are checked here instead, before the action and after the unknown ones: the
 * mistake named is the one made, in commander's own words.
 */
/** Each command's required options (requiredOptionsAfterUnknownOnes), for the test that walks them. */
const required = new WeakMap<Command, Option[]>();
export function requiredOptions(command: Command): readonly Option[] {
  return required.get(command) ?? [];
}

function requiredOptionsAfterUnknownOnes(program: Command): void {
  for (const command of allCommands(program)) {
    const options = command.options.filter((o) => o.mandatory);
    for (const option of options) option.mandatory = false;
    if (options.length > 0) required.set(command, options);
  }
  program.hook("preAction", (_program, action) => {
    for (const option of required.get(action) ?? []) {
      if (action.getOptionValue(option.attributeName()) === undefined)
        action.error(`error: required option '${option.flags}' not specified`, {
          code: "commander.missingMandatoryOptionValue",
        });
    }
  });
}
