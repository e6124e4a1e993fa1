import { spawn } from "node:child_process";
import { join } from "node:path";
import { type ChildEnd, endChild, type WatchedChild, watchChild } from "./watch-child.ts";

// `tokenbill serve` as an operator runs it: a child process, ready once it logs the URL it listens on.

export interface ServeProcess extends WatchedChild {
  url: string;
}

/**
 * Starts `serve` with exactly this environment; rejects with its last output when it ends first, or when it
 * has not said its URL within `withinMs` (if given), killing it: a serve stuck starting then fails the test
 * with what it wrote, instead of vitest's bare timeout with the process left running.
 */
export function startServe(env: NodeJS.ProcessEnv, withinMs?: number): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const watched = watchChild(
      spawn(process.execPath, [join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs"), "serve"], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const ceiling =
      withinMs === undefined
        ? undefined
        : setTimeout(() => {
            watched.child.kill("SIGKILL");
            reject(
              new Error(`tokenbill did not start within ${withinMs} ms: ${watched.output().slice(-2000)}`),
            );
          }, withinMs);
    watched.child.stdout!.on("data", () => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)","pricing"/.exec(watched.stdout());
      if (!m) return;
      clearTimeout(ceiling);
      resolve({ ...watched, url: m[1]! });
    });
    // Its output once whole (a stack on stderr may come after "exit"); after a start, rejecting does nothing.
    void watched.ended.then((end) => {
      clearTimeout(ceiling);
      reject(new Error(`tokenbill ended (${end.signal ?? end.code}): ${watched.output().slice(-2000)}`));
    });
  });
}

/**
 * Sends the signal and resolves with how serve ended and everything it wrote, once its output is whole (at
 * once when it has already ended).
 */
export function stopServe(serve: ServeProcess, signal: NodeJS.Signals): Promise<ChildEnd> {
  return endChild(serve, signal);
}

/** A PostgreSQL URL whose sessions use this schema (test files share one database, each in a schema). */
export function urlWithSchema(url: string, schema: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}
