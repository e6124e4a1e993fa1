import { constants } from "node:os";

export type StopSignal = "SIGINT" | "SIGTERM";

/**
 * A command that stopped because it was asked to (Ctrl-C, SIGTERM): not an error of its own. It ends with the
 * shell's code for the signal, and with --json the envelope's code INTERRUPTED (json-errors.ts).
 */
export class CommandInterrupted extends Error {
  constructor(
    message: string,
    readonly signal: StopSignal,
  ) {
    super(message);
    this.name = "CommandInterrupted";
  }
}

export interface Interruption {
  /** Aborted at the first Ctrl-C or SIGTERM: the work stops and cleans up after itself. */
  signal: AbortSignal;
  /** Which signal came, once one has. */
  received(): StopSignal | undefined;
  release(): void;
}

/** The shell's exit code for a process ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** How many interruptOnSignal are in force: while one is, that command stops by itself and quitOnSignal waits. */
let gracefulStops = 0;
/** What the running command has done so far, for its interrupted line (noteInterruptProgress). */
let progress: (() => string) | undefined;

/**
 * Says, when the command is interrupted, what it had done and how to go on (`solusio setup --apply`: which
 * changes it had made, and that running it again completes them). Replaces any earlier note.
 */
export function noteInterruptProgress(describe: () => string): void {
  progress = describe;
}

/**
 * Every command but `serve` and `emulator`: Ctrl-C or SIGTERM ends it at once, as Node's default did, but no
 * longer silently (exit 130 with nothing said, even with --json, whose stdout must be one JSON document on
 * every path): `report` prints the interruption as main.ts prints any failure (the line on stderr, with --json
 * the INTERRUPTED envelope), then the process exits with the signal's code. A command that stops gracefully
 * (interruptOnSignal: `billing run`, `database backup`) handles its signals itself meanwhile. The database is
 * left as a killed command leaves it: a transaction in flight is rolled back, those committed stand.
 */
export function quitOnSignal(command: string, report: (interrupted: CommandInterrupted) => void): void {
  const quit = (signal: StopSignal) => () => {
    if (gracefulStops > 0) return;
    const done = progress?.() ?? "what it had finished before stands; look before running it again";
    report(new CommandInterrupted(`${command} interrupted (${signal}) before it finished: ${done}`, signal));
    process.exit(signalExitCode(signal));
  };
  process.on("SIGINT", quit("SIGINT"));
  process.on("SIGTERM", quit("SIGTERM"));
}

/**
 * Ctrl-C or SIGTERM asks a command to stop, as `billing run` stops at its next batch: the work sees `signal`
 * aborted and undoes what it left half done. A second signal while it stops runs `atOnce` (what cannot wait,
 * synchronously) and ends the process with the first signal's code.
 */
export function interruptOnSignal(atOnce: (first: StopSignal) => void = () => {}): Interruption {
  gracefulStops += 1;
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const on = (signal: StopSignal) => () => {
    if (received !== undefined) {
      atOnce(received);
      process.exit(signalExitCode(received));
    }
    received = signal;
    controller.abort();
  };
  const onInt = on("SIGINT");
  const onTerm = on("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return {
    signal: controller.signal,
    received: () => received,
    release() {
      gracefulStops -= 1;
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}
