import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../kernel/errors.ts";
import { SolusioError } from "../../solusio/solusio-error.ts";
import { failureWords } from "./failure-words.ts";

// failureWords tells an admin a failed call's own message, and below admin only how the call failed: the
// message of a refused connection names the host and port (solusio-client.ts writes Node's message into it).

/** A SolusioError as the client makes it for a connection refused at a loopback port. */
function refused(): SolusioError {
  const error = new SolusioError("GET account: connect ECONNREFUSED 127.0.0.1:47321", null, true);
  error.noAnswer = { kind: "network", code: "ECONNREFUSED" };
  return error;
}

describe("failureWords", () => {
  it("names the refused host and port to an admin only; below admin, no answer and Node's code", () => {
    expect(failureWords(refused(), true)).toContain("127.0.0.1:47321");
    expect(failureWords(refused(), false)).toBe("no answer from SolusIO (ECONNREFUSED)");
  });

  it("says a status below admin, never the answer, which can quote a proxy's page naming its host", () => {
    const error = new SolusioError(
      "GET settings: 502 <h1>proxy.internal.example:8443 is down</h1>",
      502,
      true,
    );
    expect(failureWords(error, false)).toBe("SolusIO answered 502");
  });

  it("says a timeout below admin without the time allowed or the address", () => {
    const error = new SolusioError(
      "GET account: no complete answer within the timeout of 5000 ms",
      null,
      true,
    );
    error.noAnswer = { kind: "timeout" };
    expect(failureWords(error, false)).toBe("SolusIO did not answer in time");
  });

  it("finds the SolusioError a wrapper was made from", () => {
    const wrapper = new UpstreamError(
      "SolusIO",
      "binding check: connect ECONNREFUSED 10.0.0.5:443",
      null,
      true,
    );
    Object.assign(wrapper, { cause: refused() });
    expect(failureWords(wrapper, false)).toBe("no answer from SolusIO (ECONNREFUSED)");
  });

  it("says tokenbill's own failure below admin without its message", () => {
    expect(failureWords(new Error("relation solusio_call at db.internal:5432"), false)).toBe(
      "tokenbill failed here; its log says why",
    );
  });
});
