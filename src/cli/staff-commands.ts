import type { Command } from "commander";
import { createStaffUser, disableStaffUser, listStaffUsers } from "../services/staff/staff-users.ts";
import { withSystemContext } from "./with-context.ts";

// `tokenbill staff …`: console users from the host, above all the first owner (nobody can log in to make
// one otherwise). The CLI acts with full authority, as it runs where the database is.

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
    .action(async (opts: { email: string; role: string; name: string; password?: string }) =>
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
    .action(async () =>
      withSystemContext(async (ctx) => {
        for (const u of await listStaffUsers({ ctx, input: {} }))
          process.stdout.write(
            `${u.id}  ${u.email}  ${u.role}  ${u.disabled_at ? `disabled ${u.disabled_at}` : "active"}  2fa ${u.totp_enabled ? "on" : "off"}\n`,
          );
      }),
    );
  staff
    .command("disable <id>")
    .description("disable a staff user and end their sessions")
    .action(async (id: string) =>
      withSystemContext(async (ctx) => {
        await disableStaffUser({ ctx, input: { id } });
        process.stdout.write(`disabled ${id}\n`);
      }),
    );
}
