import { constants } from "node:os";

// Node ignores SIGPIPE, so a reader that goes away (`tokenbill payments list | head -1`, a script that stops
// reading) makes the next write fail with EPIPE, an 'error' event nothing handled: the command crashed with
// a 25-line stack trace and exit code 1, in the middle of closing its database. A full disk behind `> file`
// (ENOSPC) did the same.
// A stdout closed outright (`tokenbill … >&-`) is out of reach: before any JavaScript runs, Node opens
// /dev/null read-write on a closed fd 0–2 (node.cc, PlatformInit), which is what `stdio: "ignore"` and Python's
// subprocess.DEVNULL hand a child on purpose (same flags, checked in /proc/self/fdinfo on Node 20), so writes
// succeed and there is nothing to tell a lost output from a discarded one.

/** The shell's code for a process ended by SIGPIPE (128 + 13), as `seq 100000 | head -1` gives. */
export const CLOSED_OUTPUT_EXIT_CODE = 128 + constants.signals.SIGPIPE;

/**
 * Makes a failed write to stdout end the command quietly instead of crashing it: the command finishes what it
 * was doing (its writes are lost) and exits 141 when the reader went away, or says once why its output could
 * not be written and exits 1. A command that failed for another reason keeps its own exit code. Errors on
 * stderr are dropped: there is nowhere left to report them.
 */
export function installClosedOutputHandling(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): void {
  let exitCode: number | undefined;
  stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (exitCode !== undefined) return;
    if (error.code === "EPIPE") exitCode = CLOSED_OUTPUT_EXIT_CODE;
    else {
      exitCode = 1;
      stderr.write(`error: the output could not be written (${error.message})\n`);
    }
  });
  stderr.on("error", () => {});
  process.on("exit", () => {
    if (exitCode !== undefined && !process.exitCode) process.exitCode = exitCode;
  });
}
