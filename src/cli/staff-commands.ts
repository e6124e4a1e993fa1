import type { Command } from "commander";
import { enableStaffUser, resetStaffTwoFactor, setStaffPassword } from "../services/staff/staff-repairs.ts";
import { createStaffUser, disableStaffUser, listStaffUsers } from "../services/staff/staff-users.ts";
import { jsonText } from "../kernel/json.ts";
import { renderTable } from "./output.ts";
import { withSystemContext } from "./with-context.ts";
import { feedsVerbs } from "./cli-text-input.ts";

/** With --json the verb's answer, one document on stdout (a one-time password only there, never on stderr). */
const printJson = (value: unknown) => process.stdout.write(`${jsonText(value, 2)}\n`);
const JSON_HELP = "print the result as JSON";

// `tokenbill staff …`: console users from the host, above all the first owner (nobody can log in to make
// one otherwise) and the repair of an account nobody can get into any more (the only owner's lost phone or
// forgotten password). The CLI acts with full authority, as it runs where the database is.

/** The `staff` group's commands, added to `staff` (main.ts makes the group and loads this file when it runs). */
export function addStaffCommands(staff: Command): void {
  staff
    .command("create")
    .description("create a staff user; without --password a one-time password is printed once")
    .requiredOption("--email <email>", "the login e-mail")
    .requiredOption("--role <role>", "owner, admin, billing or support (read-only)")
    .option("--name <name>", "the name shown in the console", "")
    .option(
      "--password <password>",
      "the password (at least 12 characters); omitted: a random one is printed",
    )
    .option("--json", "print the user as JSON, with the one-time password when one was made")
    .action(async (opts: { email: string; role: string; name: string; password?: string; json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const user = await createStaffUser({
          ctx,
          input: {
            email: opts.email,
            role: opts.role as "owner",
            name: opts.name,
            ...(opts.password === undefined ? {} : { password: opts.password }),
          },
        });
        if (opts.json) return void printJson(user);
        process.stdout.write(`id:       ${user.id}\nemail:    ${user.email}\nrole:     ${user.role}\n`);
        if (user.password !== undefined)
          process.stdout.write(
            `password: ${user.password}\n(shown once: log in at /console/login and keep it somewhere safe)\n`,
          );
      }),
    );
  staff
    .command("list")
    .description("list staff users")
    .option("--json", 'print the users as JSON ({"data": [...]})')
    .action(async (opts: { json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const users = await listStaffUsers({ ctx, input: {} });
        if (opts.json) return void printJson({ data: users });
        const rows = users.map((u) => [
          u.id,
          u.email,
          u.role,
          u.disabled_at ? `disabled ${u.disabled_at}` : "active",
          u.totp_enabled ? "on" : "off",
          // A generated password not yet changed (migration 034): the console asks for a new one at login.
          u.must_change_password ? "yes" : "no",
        ]);
        const header = ["Id", "E-mail", "Role", "State", "2FA", "Must change password"];
        process.stdout.write(`${renderTable(header, rows)}\n`);
      }),
    );
  staff
    .command("disable <id>")
    .description("disable a staff user, end their sessions and revoke the API keys they created")
    .option("--json", JSON_HELP)
    .action(async (id: string, opts: { json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const user = await disableStaffUser({ ctx, input: { id } });
        if (opts.json) return void printJson(user);
        process.stdout.write(user.changed ? `disabled ${id}\n` : `${id} was already disabled\n`);
        if (user.api_keys_revoked.length > 0) process.stdout.write(keysRevokedLine(user.api_keys_revoked));
      }),
    );
  staff
    .command("enable <id>")
    .description("enable a disabled staff user again")
    .option("--json", JSON_HELP)
    .action(async (id: string, opts: { json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const user = await enableStaffUser({ ctx, input: { id } });
        if (opts.json) return void printJson(user);
        process.stdout.write(user.changed ? `enabled ${id}\n` : `${id} was already enabled\n`);
      }),
    );
  staff
    .command("reset-password <id>")
    .description(
      "give a staff user a new password and end their sessions; without --password a one-time password is printed once",
    )
    .option(
      "--password <password>",
      "the new password (at least 12 characters); omitted: a random one is printed",
    )
    .option("--json", "print the result as JSON, with the one-time password when one was made")
    .action(async (id: string, opts: { password?: string; json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const reset = await setStaffPassword({
          ctx,
          input: { id, ...(opts.password === undefined ? {} : { password: opts.password }) },
        });
        if (opts.json) return void printJson(reset);
        process.stdout.write(`password of ${id} reset; their sessions have ended\n`);
        if (reset.password !== undefined)
          process.stdout.write(
            `password: ${reset.password}\n(shown once: give it to them to log in at /console/login)\n`,
          );
      }),
    );
  staff
    .command("reset-2fa <id>")
    .description("turn a staff user's two-factor login off (a lost phone) and end their sessions")
    .option("--json", JSON_HELP)
    .action(async (id: string, opts: { json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const user = await resetStaffTwoFactor({ ctx, input: { id } });
        if (opts.json) return void printJson(user);
        process.stdout.write(
          user.changed
            ? `two-factor login of ${id} turned off; their sessions have ended\n`
            : `two-factor login of ${id} was already off\n`,
        );
      }),
    );
  feedsVerbs(staff, { create: createStaffUser.input });
}

/** How many API keys a staff change revoked with it, and which: the operator may have automation to move. */
function keysRevokedLine(ids: readonly string[]): string {
  return `${ids.length} API key${ids.length === 1 ? "" : "s"} they created revoked: ${ids.join(", ")}\n`;
}
