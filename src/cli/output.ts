import { CommanderError } from "commander";
import { ConfigError } from "../config.ts";
import { asServiceError, type ErrorCode } from "../kernel/errors.ts";
import { CommandInterrupted, signalExitCode } from "./interrupt-signal.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";

/** Renders rows as an aligned text table; numbers and money are right-aligned. */
export function renderTable(headers: string[], rows: string[][], rightAligned: boolean[] = []): string {
  // A loop, not Math.max(...lengths): spreading a long list's lengths into arguments overflows the stack (a
  // `payments list` of a few hundred thousand rows threw RangeError).
  const widths = headers.map((h) => h.length);
  for (const row of rows) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (row[i] ?? "").length);
  }
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const EXIT_CODES: Record<ErrorCode, number> = {
  VALIDATION: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  UNAUTHORIZED: 5,
  FORBIDDEN: 5,
  UPSTREAM_UNAVAILABLE: 6,
  INTERNAL: 1,
};

/** Prints an error for a person and returns the process exit code. */
export function reportCliError(error: unknown): number {
  // commander has printed its message (and the command's usage) already; help asked for is a success.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_CODES.VALIDATION;
  // A configuration this command cannot work with (DATA_DIR=memory://): one line, and 78 as for a bad setting.
  if (error instanceof UnfitConfigurationError) {
    process.stderr.write(`error: ${error.message}\n`);
    return 78;
  }
  // Stopped as asked: its line says how to go on; the shell's code for the signal (130 Ctrl-C, 143 SIGTERM).
  if (error instanceof CommandInterrupted) {
    process.stderr.write(`${error.message}\n`);
    return signalExitCode(error.signal);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    return 78;
  }
  const known = asServiceError(error);
  if (known) {
    process.stderr.write(`error: ${known.message}\n`);
    return EXIT_CODES[known.code];
  }
  process.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}
