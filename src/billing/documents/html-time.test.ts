import { describe, expect, it } from "vitest";
import { timeElements } from "./html-time.ts";

describe("timeElements", () => {
  it("writes each date and time as <time> with its ISO value, a range's start taking its end's zone", () => {
    expect(timeElements("2026-11-15")).toBe('<time datetime="2026-11-15">2026-11-15</time>');
    expect(timeElements("2026-10-01 00:00 – 2026-11-01 00:00 UTC")).toBe(
      '<time datetime="2026-10-01T00:00Z">2026-10-01 00:00</time> – ' +
        '<time datetime="2026-11-01T00:00Z">2026-11-01 00:00 UTC</time>',
    );
    expect(timeElements("since 2026-10-01 00:00 UTC+02:00")).toBe(
      'since <time datetime="2026-10-01T00:00+02:00">2026-10-01 00:00 UTC+02:00</time>',
    );
  });

  it("escapes the rest and leaves what is no date alone", () => {
    expect(timeElements("<b> 2026-02-31, INV-2026-10-0001 & 2026-10")).toBe(
      "&lt;b&gt; 2026-02-31, INV-2026-10-0001 &amp; 2026-10",
    );
  });
});
