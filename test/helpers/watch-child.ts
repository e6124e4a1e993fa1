import type { ChildProcess } from "node:child_process";

// A spawned process's output, read only once it is whole. A test waits for "close", not "exit": Node emits
// "exit" when the process has ended, while its piped stdout and stderr may still hold bytes this process has
// not read ("close" comes once they are drained and closed; Node's child_process docs, events 'exit' and
// 'close'). One SIGCHLD reaps every child that has ended, so with several at once "exit" came before some
// child's last bytes in 4 runs of 4 (watch-child.test.ts: rounds of 32 `head -c 500000 /dev/zero`; 2026-12-07).

/** How a child ended, with everything it wrote. */
export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Why it could not be started (spawn's "error"), if it could not. */
  error?: Error;
}

export interface WatchedChild {
  child: ChildProcess;
  /** What it wrote so far to stdout, to stderr, and to both in the order it came. */
  stdout(): string;
  stderr(): string;
  output(): string;
  /** Resolves (never rejects) once the process has ended and its output is whole. */
  ended: Promise<ChildEnd>;
  /** The end, once `ended` has resolved. */
  end(): ChildEnd | undefined;
}

/** Reads a child's piped stdout and stderr from now on: call it right after spawn, before any output. */
export function watchChild(child: ChildProcess): WatchedChild {
  let stdout = "";
  let stderr = "";
  let both = "";
  let error: Error | undefined;
  let end: ChildEnd | undefined;
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    both += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    both += chunk;
  });
  // A spawn that fails emits "error", then "close" (code negative): the end says why.
  child.on("error", (e) => (error = e));
  const ended = new Promise<ChildEnd>((resolve) =>
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      end = { code, signal, stdout, stderr, ...(error ? { error } : {}) };
      resolve(end);
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, output: () => both, ended, end: () => end };
}

/** Sends the signal unless the process has already ended, and resolves with its end once its output is whole. */
export function endChild(watched: WatchedChild, signal: NodeJS.Signals): Promise<ChildEnd> {
  const { child } = watched;
  // Once it has exited a signal would find no process (or, its pid used again, another one).
  if (!watched.end() && child.exitCode === null && child.signalCode === null) child.kill(signal);
  return watched.ended;
}
