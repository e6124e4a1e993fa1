import { setTimeout as sleep } from "node:timers/promises";

/**
 * The ceiling of a wait on a condition. Generous on purpose: a quiet machine meets the condition in
 * milliseconds and never comes near it, while CI's loaded two cores (17–25 runnable) took seconds where a
 * quiet run takes tens of milliseconds. It stays under the projects' test timeouts (vitest.config.ts), so a
 * condition never met fails with what was awaited instead of vitest's bare "timed out".
 */
export const WAIT_CEILING_MS = 50_000;

/** For `expect.poll`: the same ceiling, looked at as often as waitUntil looks. */
export const POLL = { timeout: WAIT_CEILING_MS, interval: 20 } as const;

/**
 * Resolves with `condition`'s first truthy result, asking again every 20 ms; rejects after `timeoutMs`
 * saying `what` it waited for. For a test to wait for something that happens in the background (a job
 * settled, a row written) instead of sleeping for a while and hoping that was enough. A function for `what`
 * is called only when the wait gives up, so the message can say what was last seen (a process's output so
 * far, a run's state): a string is made before the wait, when there is nothing yet to see.
 */
export async function waitUntil<T>(
  what: string | (() => string),
  condition: () => T | Promise<T>,
  timeoutMs = WAIT_CEILING_MS,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await condition();
    if (result) return result as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(`waited ${timeoutMs} ms for ${typeof what === "string" ? what : what()}, in vain`);
    }
    await sleep(20);
  }
}

/**
 * One ceiling for a long journey's waits (a spawned tokenbill started, synced, billed): each wait is given
 * what is left of it, so a wait never met fails with its own message before the test's timeout
 * (`ms` plus a margin) ends it with vitest's bare one.
 */
export function waitBudget(ms: number): () => number {
  const end = Date.now() + ms;
  return () => Math.max(1, end - Date.now());
}
