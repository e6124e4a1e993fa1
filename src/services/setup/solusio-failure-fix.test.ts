import { describe, expect, it } from "vitest";
import { SolusioError } from "../../solusio/solusio-error.ts";
import { failureWords } from "./failure-words.ts";
import { solusioFailureFix } from "./solusio-failure-fix.ts";

// Below admin a doctor line's detail is failureWords ("SolusIO answered 503"), and its fix says what to do
// without saying the status again (statusSaid); elsewhere (the CLI, an admin) the fix says it.

describe("solusioFailureFix after a detail that said the status", () => {
  for (const status of [429, 503, 422])
    it(`does not repeat "answered ${status}", and says what to do`, () => {
      const error = new SolusioError(`GET settings: ${status} busy`, status, status !== 422);
      const detail = failureWords(error, false);
      const fix = solusioFailureFix(error, "status");
      expect(detail).toBe(`SolusIO answered ${status}`);
      expect(fix).not.toContain(String(status));
      expect(fix).toMatch(/^SolusIO\b/);
      expect(solusioFailureFix(error)).toContain(String(status));
    });
});
