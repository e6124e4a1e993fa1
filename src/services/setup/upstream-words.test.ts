import { describe, expect, it } from "vitest";
import { DatabaseBusyError, DatabaseUnreachableError, DeadlockError } from "../../db/database-outage.ts";
import { asServiceError, ServiceError } from "../../kernel/errors.ts";
import { SolusioError } from "../../solusio/solusio-error.ts";
import { upstreamWords } from "./upstream-words.ts";

// One decision for every face that tells an outside failure (the console's and the portal's error page, the
// admin API's answer): by the reader's role, never where a system is below admin.

const SECRET_URL = "https://billing:hunter2secret@solusio.internal.example:8443/api/v1/users?token=abc";

function refused(): SolusioError {
  const error = new SolusioError(
    `connect ECONNREFUSED solusio.internal.example:8443 (${SECRET_URL})`,
    null,
    true,
  );
  error.noAnswer = { kind: "network", code: "ECONNREFUSED" };
  return error;
}

const words = (role: Parameters<typeof upstreamWords>[0], error: Error, face: "console" | "portal" | "api") =>
  upstreamWords(role, error, asServiceError(error)!, face);

describe("upstreamWords", () => {
  it("tells billing, support and an unknown reader how the call failed, on a page and in the API", () => {
    for (const role of ["billing", "support", undefined] as const) {
      expect(words(role, refused(), "api")).toBe(
        "no answer from SolusIO (ECONNREFUSED); try again in a few minutes; if it keeps happening, an admin can read why in tokenbill's log",
      );
      expect(words(role, refused(), "console")).toBe(
        "This could not be done: no answer from SolusIO (ECONNREFUSED). Try again in a few minutes; if it keeps happening, an admin can read why on this page.",
      );
    }
  });

  it("shows an admin or owner the message with its URL's credentials masked, on every staff face", () => {
    for (const role of ["admin", "owner"] as const)
      for (const face of ["api", "console"] as const) {
        const said = words(role, refused(), face);
        expect(said, `${role} ${face}`).toContain("connect ECONNREFUSED solusio.internal.example:8443");
        expect(said, `${role} ${face}`).not.toContain("hunter2secret");
        expect(said, `${role} ${face}`).not.toContain("token=abc");
      }
  });

  it("hides a verb's own unmarked words below admin, and shows words marked for staff whole", () => {
    const quoting = new ServiceError("UPSTREAM_UNAVAILABLE", `SolusIO at ${SECRET_URL} failed`);
    expect(words("billing", quoting, "api")).toMatch(/^a system tokenbill relies on failed; try again/);
    const marked = ServiceError.unavailable("SolusIO servers page 1 is not a list", "staff");
    expect(words("support", marked, "api")).toBe("SolusIO servers page 1 is not a list");
    expect(words("support", marked, "portal")).toBe(
      "This page is unavailable for a moment. Try again in a few seconds.",
    );
  });

  it("reads the database's failures whole to every staff reader: their words are tokenbill's own, no address", () => {
    const failures = [
      new DatabaseUnreachableError("connection refused", new Error("connect ECONNREFUSED 10.0.0.5:5432")),
      new DeadlockError(new Error("deadlock detected")),
      new DatabaseBusyError(new Error("canceling statement due to lock timeout")),
    ];
    for (const failure of failures)
      for (const role of ["billing", "support", undefined] as const)
        for (const face of ["api", "console"] as const) {
          const said = words(role, failure, face);
          expect(said, `${role} ${face}`).toBe(`the database: ${failure.message}`);
          expect(said).not.toContain("10.0.0.5");
        }
    expect(words(undefined, failures[1]!, "portal")).toBe(
      "This page is unavailable for a moment. Try again in a few seconds.",
    );
  });
});
