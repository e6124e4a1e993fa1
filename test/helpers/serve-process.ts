import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

// `tokenbill serve` as an operator runs it: a child process, ready once it logs the URL it listens on.

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
}

/**
 * Starts `serve` with exactly this environment; rejects with its last output when it exits first, or when it
 * has not said its URL within `withinMs` (if given), killing it: a serve stuck starting then fails the test
 * with what it wrote, instead of vitest's bare timeout with the process left running.
 */
export function startServe(env: NodeJS.ProcessEnv, withinMs?: number): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs"), "serve"],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    const ceiling =
      withinMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`tokenbill did not start within ${withinMs} ms: ${out.slice(-2000)}`));
          }, withinMs);
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)","pricing"/.exec(out);
      if (!m) return;
      clearTimeout(ceiling);
      resolve({ child, url: m[1]!, output: () => out });
    });
    child.on("exit", (code) => {
      clearTimeout(ceiling);
      reject(new Error(`tokenbill exited (${code}): ${out.slice(-2000)}`));
    });
  });
}

/** Sends the signal and resolves once the process has exited (at once when it already has). */
export function stopServe(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** A PostgreSQL URL whose sessions use this schema (test files share one database, each in a schema). */
export function urlWithSchema(url: string, schema: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}
