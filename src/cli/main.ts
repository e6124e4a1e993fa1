import type { Command } from "commander";
import { installCommandTextCheck } from "./cli-text-input.ts";
import { installClosedOutputHandling } from "./closed-output.ts";
import { tokenbillProgram } from "./program.ts";
import { installRepeatedOptionCheck } from "./repeated-options.ts";

// The `tokenbill` command. Each sub-command parses its arguments, calls services, prints; nothing more. The
// commands themselves are in program.ts; here, what running one adds: checks, signals, the exit code.

// Before anything is written, help included: a reader that goes away must not crash the command.
installClosedOutputHandling();

/** The group the command line names: `tokenbill billing run …`, or `tokenbill help billing`. */
function requestedGroup(argv: readonly string[]): string | undefined {
  const [first, second] = argv.slice(2);
  return first === "help" ? second : first;
}

const wanted = requestedGroup(process.argv);
const program = await tokenbillProgram((name) => name === wanted);
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
