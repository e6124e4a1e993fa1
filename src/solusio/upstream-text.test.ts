import { describe, expect, it } from "vitest";
import { MAX_UPSTREAM_NAME, upstreamData, upstreamName } from "./upstream-text.ts";

// Text from SolusIO is no one's input to refuse: what tokenbill's checks would refuse becomes U+FFFD, the rest
// is kept (src/solusio/upstream-text.ts).

describe("text from SolusIO", () => {
  it("replaces controls, separators, bidirectional overrides and lone surrogates, keeping the rest", () => {
    expect(upstreamName("web\u0000-1\u202Egpj.exe")).toBe("web\uFFFD-1\uFFFDgpj.exe");
    expect(upstreamName("1 Core\n1 GB\u2028\u0085\ud800")).toBe("1 Core\uFFFD1 GB\uFFFD\uFFFD\uFFFD");
    // Right-to-left text, its marks, joiners and pairs of surrogates (emoji) are text.
    const kept = "خادم\u200F-1 👩\u200D💻";
    expect(upstreamName(kept)).toBe(kept);
  });

  it("keeps the same string when there is nothing to replace, twice in a row (the pattern is global)", () => {
    const name = "vps-1";
    expect(upstreamName(name)).toBe(name);
    expect(upstreamName("a\u0007")).toBe("a\uFFFD");
    expect(upstreamName("b\u0007")).toBe("b\uFFFD");
  });

  it("shortens a name past MAX_UPSTREAM_NAME characters, marking the cut", () => {
    expect(upstreamName("x".repeat(MAX_UPSTREAM_NAME))).toBe("x".repeat(MAX_UPSTREAM_NAME));
    const long = upstreamName("y".repeat(MAX_UPSTREAM_NAME + 1));
    expect(long).toHaveLength(MAX_UPSTREAM_NAME);
    expect(long.endsWith("y…")).toBe(true);
  });

  it("cleans every string and key of JSON data, leaving numbers, booleans and null", () => {
    expect(
      upstreamData({
        server_name: "a\u0000b",
        "note\u0000": ["c\u202Ed", 1, true, null],
        nested: { e: "f" },
      }),
    ).toEqual({ server_name: "a\uFFFDb", "note\uFFFD": ["c\uFFFDd", 1, true, null], nested: { e: "f" } });
  });
});
