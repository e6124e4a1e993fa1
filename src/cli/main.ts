import { installClosedOutputHandling } from "./closed-output.ts";
import { runTokenbill } from "./run-tokenbill.ts";

// The `tokenbill` command. Each sub-command parses its arguments, calls services, prints; nothing more. The
// commands themselves are in program.ts, what running one adds (checks, signals, the exit code) in
// run-tokenbill.ts.

// Before anything is written, help included: a reader that goes away must not crash the command.
installClosedOutputHandling();

const code = await runTokenbill(process.argv);
if (code !== undefined) process.exitCode = code;
