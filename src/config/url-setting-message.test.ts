import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";

// A URL setting of another scheme is refused as what it must be: "must be a URL" refused ftp://x, a URL.

describe("a URL setting that is not http(s)", () => {
  it.each(["TOKENBILL_PUBLIC_URL", "SOLUSIO_URL", "SOLUSIO_USER_AREA_URL"])(
    "%s says it must be an http(s) URL",
    (key) => {
      expect(() => parseConfig({ [key]: "ftp://x", SOLUSIO_API_TOKEN: "t" })).toThrow(
        `${key}: must be an http(s) URL`,
      );
    },
  );
});
