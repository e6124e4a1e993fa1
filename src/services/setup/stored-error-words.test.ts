import { describe, expect, it } from "vitest";
import { storedErrorWords } from "./stored-error-words.ts";

// What a reader below admin reads of a stored error's text: every address hidden, the rest as it was kept.

const below = (text: string) => storedErrorWords(text, false);

describe("storedErrorWords", () => {
  it("hides a refused connection's host and port, and keeps how it failed", () => {
    expect(below("SolusIO: GET users: connect ECONNREFUSED 127.0.0.1:9")).toBe(
      "SolusIO: GET users: connect ECONNREFUSED (address hidden)",
    );
    expect(below("retrying after attempt 2: POST users: connect ECONNREFUSED ::1:8443")).toBe(
      "retrying after attempt 2: POST users: connect ECONNREFUSED (address hidden)",
    );
    expect(below("GET account: getaddrinfo ENOTFOUND solusio.internal.example")).toBe(
      "GET account: getaddrinfo ENOTFOUND (address hidden)",
    );
  });

  it("hides a URL (masked already) and a host:port a proxy's page quotes", () => {
    expect(below("could not reach https://********@solusio.internal.example:8443/api/v1/users")).toBe(
      "could not reach (address hidden)",
    );
    expect(below("GET settings: 502 <h1>proxy.internal.example:8443 is down</h1>")).toBe(
      "GET settings: 502 <h1>(address hidden) is down</h1>",
    );
  });

  it("keeps what names no place: times, statuses, SolusIO's words, a user's e-mail", () => {
    for (const text of [
      "GET users/12: 503 at 2026-10-01T00:00:00Z",
      "SolusIO user 7 (ann@example.com) belongs to someone else",
      "POST users: 422 email: has already been taken",
    ])
      expect(below(text)).toBe(text);
  });

  it("shows an admin the text as kept, and leaves no text as none", () => {
    const text = "connect ECONNREFUSED 127.0.0.1:9";
    expect(storedErrorWords(text, true)).toBe(text);
    expect(storedErrorWords(null, false)).toBeNull();
  });
});
