import { type Command, CommanderError } from "commander";
import { installCommandTextCheck } from "./cli-text-input.ts";
import { tokenbillProgram } from "./program.ts";
import { installRepeatedOptionCheck } from "./repeated-options.ts";

// One run of the `tokenbill` command line: the program with its checks, the command's action, and a failure
// said and turned into its exit code. main.ts runs it for the process; a test runs it in-process
// (every-command-arguments.test.ts walks every command through it).

/** The group the command line names: `tokenbill billing run …`, or `tokenbill help billing`. */
function requestedGroup(argv: readonly string[]): string | undefined {
  const [first, second] = argv.slice(2);
  return first === "help" ? second : first;
}

/**
 * Runs the command `argv` names (process.argv's form: node, script, words…). Answers the exit code of a
 * failure, or undefined when the command did not fail (it may have set process.exitCode itself: doctor's 1).
 */
export async function runTokenbill(argv: readonly string[]): Promise<number | undefined> {
  const wanted = requestedGroup(argv);
  const program = await tokenbillProgram((name) => name === wanted);
  // A mistake on the command line is said below, in one line (sayMistake); commander's own printing is off.
  for (const command of allCommands(program)) command.configureOutput({ outputError: () => {} });
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
    quitOnSignal(commandPath(program, action), (interrupted) => {
      const code = reportCliError(interrupted);
      if (json) process.stdout.write(jsonFailure(interrupted, code));
    });
  });

  // `tokenbill help bogus` printed the whole help and exited 2 without naming what it did not know, where
  // `tokenbill bogus` says "unknown command": said the same way, before the help commander prints.
  if (wanted !== undefined && argv[2] === "help" && !program.commands.some((c) => c.name() === wanted))
    process.stderr.write(`error: unknown command '${wanted}'\n`);

  try {
    await program.parseAsync(argv);
    return undefined;
  } catch (error) {
    sayMistake(program, argv, error);
    const { reportCliError } = await import("./output.ts");
    const { inOptionTerms } = await import("./option-names.ts");
    const { asksForJson, jsonFailure } = await import("./json-errors.ts");
    const { inSolusioTokenTerms } = await import("./solusio-refusal.ts");
    const failure = inSolusioTokenTerms(inOptionTerms(error, running));
    const code = reportCliError(failure);
    if (code !== 0 && asksForJson(program, argv)) process.stdout.write(jsonFailure(failure, code));
    return code;
  }
}

/** `solusio setup`: the command's words after `tokenbill`. */
function commandPath(program: Command, command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c && c !== program; c = c.parent) words.unshift(c.name());
  return words.join(" ");
}

/** `tokenbill solusio setup`, or `tokenbill` for the program itself. */
function typedName(program: Command, command: Command): string {
  return ["tokenbill", commandPath(program, command)].filter(Boolean).join(" ");
}

/** The program and every command in it (those of the groups loaded). */
function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** The commander errors that are help or the version asked for, or help shown for a group named alone. */
const NOT_MISTAKES = new Set(["commander.help", "commander.helpDisplayed", "commander.version"]);

/**
 * A mistake on the command line (an unknown option or command, a missing or extra argument or option) as one
 * line on stderr naming it and the --help of the command the line names: `error: unknown option '--bogus' (see
 * \`tokenbill staff list --help\`)`. It was the mistake, a blank line and the command's whole help, which
 * pushed the mistake off a small terminal and filled a script's log. commander's suggestion ("Did you mean
 * --json?") stays on the line.
 */
function sayMistake(program: Command, argv: readonly string[], error: unknown): void {
  if (!(error instanceof CommanderError) || error.exitCode === 0 || NOT_MISTAKES.has(error.code)) return;
  let command = program;
  for (const word of argv.slice(2)) {
    if (word === "--") break;
    const sub = command.commands.find((c) => c.name() === word);
    if (sub) command = sub;
  }
  const line = error.message.trim().replace(/\s*\n\s*/g, " ");
  process.stderr.write(`${line} (see \`${typedName(program, command)} --help\`)\n`);
}
