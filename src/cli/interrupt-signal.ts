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

/**
 * Ctrl-C or SIGTERM asks a command to stop, as `billing run` stops at its next batch: the work sees `signal`
 * aborted and undoes what it left half done. A second signal while it stops runs `atOnce` (what cannot wait,
 * synchronously) and ends the process with the first signal's code.
 */
export function interruptOnSignal(atOnce: (first: StopSignal) => void = () => {}): Interruption {
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
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}
