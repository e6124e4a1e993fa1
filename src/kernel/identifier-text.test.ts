import { describe, expect, it } from "vitest";
import { identifierText, invisibleCharacterIn } from "./identifier-text.ts";

describe("identifier text", () => {
  it("names the first invisible character, counting characters as people do (an emoji is one)", () => {
    expect(invisibleCharacterIn("DUP-1")).toBeUndefined();
    expect(invisibleCharacterIn("DUP-1\u200b")).toBe("U+200B at character 6");
    expect(invisibleCharacterIn("\u{1F680}-\u{E0041}")).toBe("U+E0041 at character 3"); // a tag character
    expect(invisibleCharacterIn("A\u115fB")).toBe("U+115F at character 2"); // Hangul filler: a letter, yet shows nothing
  });

  it("drops spaces around it, and refuses one that is empty, too long or holds an invisible character", () => {
    const reference = identifierText(10);
    expect(reference.parse("\u00a0 BT-1\ufeff ")).toBe("BT-1");
    expect(reference.safeParse(" ").error?.issues[0]?.message).toBe("must not be empty");
    expect(reference.safeParse("x".repeat(11)).error?.issues[0]?.message).toBe(
      "must be at most 10 characters",
    );
    expect(reference.safeParse("BT\u00ad1").error?.issues[0]?.message).toMatch(
      /^must not contain invisible characters \(U\+00AD at character 3\)/,
    );
  });
});
