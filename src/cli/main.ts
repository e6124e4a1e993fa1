import { installClosedOutputHandling } from "./closed-output.ts";
import { runTokenbill } from "./run-tokenbill.ts";

// The `tokenbill` command. Each sub-command parses its arguments, calls services, prints; nothing more. The
// commands themselves are in program.ts, what running one adds (checks, signals, the exit code) in
// run-tokenbill.ts.

// Every file tokenbill makes holds a secret or customer data, and PGlite makes the database's own files
// with the umask's modes (0644 under the usual 022, 0666 under 000): owner-only, as PostgreSQL's own server
// sets its umask, whatever the shell or service unit started it with (docs/security.md, "Files").
process.umask(0o077);

// Before anything is written, help included: a reader that goes away must not crash the command.
installClosedOutputHandling();

const code = await runTokenbill(process.argv);
if (code !== undefined) process.exitCode = code;
