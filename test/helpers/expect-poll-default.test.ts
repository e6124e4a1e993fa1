import { expect, it } from "vitest";

// vitest.config.ts gives every project waitUntil's ceiling as expect.poll's default; vitest's own 1 s
// failed polls that a loaded CI run needed seconds for. A condition met only after 1.5 s shows which applies.
it("polls past vitest's own 1 s default when a call names no timeout", async () => {
  const start = Date.now();
  await expect.poll(() => Date.now() - start >= 1_500).toBe(true);
});
