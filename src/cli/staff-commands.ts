import type { Command } from "commander";
import { feedsVerbs } from "./cli-text-input.ts";

// `tokenbill staff …`: console users from the host, above all the first owner (nobody can log in to make
// one otherwise) and the repair of an account nobody can get into any more (the only owner's lost phone or
// forgotten password). The commands, their options and words are here; what they do is in staff-actions.ts,
// imported when one runs, not for --help (light-commands-load.test.ts holds the count).

const JSON_HELP = "print the result as JSON";

// Other users of the host read a process's arguments: --password-stdin is the way, --password kept for scripts.
const PASSWORD_OPTION_HELP =
  "the password as an argument, which other users of this host can read (ps) and your shell keeps: use --password-stdin";

/** The commands' actions, imported when one runs. */
const actions = () => import("./staff-actions.ts");

/** The `staff` group's commands, added to `staff` (main.ts makes the group and loads this file when it runs). */
export function addStaffCommands(staff: Command): void {
  staff
    .command("create")
    .description(
      "create a staff user; without --password-stdin (or --password) a one-time password is printed once",
    )
    .requiredOption("--email <email>", "the login e-mail")
    .requiredOption("--role <role>", "owner, admin, billing or support (read-only)")
    .option("--name <name>", "the name shown in the console", "")
    .option(
      "--password-stdin",
      "read the password (at least 12 characters) from stdin, one line; omitted: a random one is printed",
    )
    .option("--password <password>", PASSWORD_OPTION_HELP)
    .option("--json", "print the user as JSON, with the one-time password when one was made")
    .action(
      async (opts: {
        email: string;
        role: string;
        name: string;
        password?: string;
        passwordStdin?: boolean;
        json?: boolean;
      }) => (await actions()).createAction(opts),
    );
  staff
    .command("list")
    .description("list staff users")
    .option("--json", 'print the users as JSON ({"data": [...]})')
    .action(async (opts: { json?: boolean }) => (await actions()).listAction(opts));
  staff
    .command("disable <id>")
    .description("disable a staff user, end their sessions and revoke the API keys they created")
    .option("--json", JSON_HELP)
    .action(async (id: string, opts: { json?: boolean }) => (await actions()).disableAction(id, opts));
  staff
    .command("enable <id>")
    .description("enable a disabled staff user again")
    .option("--json", JSON_HELP)
    .action(async (id: string, opts: { json?: boolean }) => (await actions()).enableAction(id, opts));
  staff
    .command("reset-password <id>")
    .description(
      "give a staff user a new password and end their sessions; without --password-stdin (or --password) a one-time password is printed once",
    )
    .option(
      "--password-stdin",
      "read the new password (at least 12 characters) from stdin, one line; omitted: a random one is printed",
    )
    .option("--password <password>", PASSWORD_OPTION_HELP)
    .option("--json", "print the result as JSON, with the one-time password when one was made")
    .action(async (id: string, opts: { password?: string; passwordStdin?: boolean; json?: boolean }) =>
      (await actions()).resetPasswordAction(id, opts),
    );
  staff
    .command("reset-2fa <id>")
    .description("turn a staff user's two-factor login off (a lost phone) and end their sessions")
    .option("--json", JSON_HELP)
    .action(async (id: string, opts: { json?: boolean }) => (await actions()).resetTwoFactorAction(id, opts));
  feedsVerbs(staff, async () => (await actions()).staffVerbInputs);
}
