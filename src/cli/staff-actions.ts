import { enableStaffUser, resetStaffTwoFactor, setStaffPassword } from "../services/staff/staff-repairs.ts";
import { createStaffUser, disableStaffUser, listStaffUsers } from "../services/staff/staff-users.ts";
import { jsonText } from "../kernel/json.ts";
import { renderTable } from "./output.ts";
import { chosenPassword, type PasswordOptions, passwordFromStdin } from "./password-input.ts";
import { withSystemContext } from "./with-context.ts";

/** With --json the verb's answer, one document on stdout (a one-time password only there, never on stderr). */
const printJson = (value: unknown) => process.stdout.write(`${jsonText(value, 2)}\n`);

// What `tokenbill staff …` does when one of its commands runs (staff-commands.ts has the commands and their
// words). The CLI acts with full authority, as it runs where the database is.

export async function createAction(
  opts: {
    email: string;
    role: string;
    name: string;
    json?: boolean;
  } & PasswordOptions,
): Promise<void> {
  // Read before the database is opened: an empty stdin is refused in a moment, not after seconds.
  const fromStdin = await passwordFromStdin(opts);
  await withSystemContext(async (ctx) => {
    // Warned here, past the configuration's checks, whose refusal is the one line a script reads.
    const password = chosenPassword(opts, fromStdin);
    const user = await createStaffUser({
      ctx,
      input: {
        email: opts.email,
        role: opts.role as "owner",
        name: opts.name,
        ...(password === undefined ? {} : { password }),
      },
    });
    if (opts.json) return void printJson(user);
    process.stdout.write(`id:       ${user.id}\nemail:    ${user.email}\nrole:     ${user.role}\n`);
    if (user.password !== undefined)
      process.stdout.write(
        `password: ${user.password}\n(shown once: log in at /console/login and keep it somewhere safe)\n`,
      );
  });
}

export async function listAction(opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
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
  });
}

export async function disableAction(id: string, opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const user = await disableStaffUser({ ctx, input: { id } });
    if (opts.json) return void printJson(user);
    process.stdout.write(user.changed ? `disabled ${id}\n` : `${id} was already disabled\n`);
    if (user.api_keys_revoked.length > 0) process.stdout.write(keysRevokedLine(user.api_keys_revoked));
  });
}

export async function enableAction(id: string, opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const user = await enableStaffUser({ ctx, input: { id } });
    if (opts.json) return void printJson(user);
    process.stdout.write(user.changed ? `enabled ${id}\n` : `${id} was already enabled\n`);
  });
}

export async function resetPasswordAction(
  id: string,
  opts: PasswordOptions & { json?: boolean },
): Promise<void> {
  const fromStdin = await passwordFromStdin(opts);
  await withSystemContext(async (ctx) => {
    const password = chosenPassword(opts, fromStdin);
    const reset = await setStaffPassword({
      ctx,
      input: { id, ...(password === undefined ? {} : { password }) },
    });
    if (opts.json) return void printJson(reset);
    process.stdout.write(`password of ${id} reset; their sessions have ended\n`);
    if (reset.password !== undefined)
      process.stdout.write(
        `password: ${reset.password}\n(shown once: give it to them to log in at /console/login)\n`,
      );
  });
}

export async function resetTwoFactorAction(id: string, opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const user = await resetStaffTwoFactor({ ctx, input: { id } });
    if (opts.json) return void printJson(user);
    process.stdout.write(
      user.changed
        ? `two-factor login of ${id} turned off; their sessions have ended\n`
        : `two-factor login of ${id} was already off\n`,
    );
  });
}

/** How many API keys a staff change revoked with it, and which: the operator may have automation to move. */
function keysRevokedLine(ids: readonly string[]): string {
  return `${ids.length} API key${ids.length === 1 ? "" : "s"} they created revoked: ${ids.join(", ")}\n`;
}

/** The verb inputs the commands feed (cli-text-input.ts, feedsVerbs). */
export const staffVerbInputs = { create: createStaffUser.input };
