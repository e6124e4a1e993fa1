import { describe, expect, it } from "vitest";
import { datesOutsideTime, withTimeElements } from "./page-time.ts";

describe("withTimeElements", () => {
  it("puts every date and time of a page's text in <time datetime>, not those in attributes or a title", () => {
    const page =
      '<title>Run 2026-10-01</title><p title="2026-11-30">Due 2026-11-30, run at 2026-12-06 11:13 UTC</p>' +
      '<input value="2026-11-30"><select><option>2026-11-30</option></select>' +
      '<pre>{ "at": "2026-12-06T11:13:00Z" }</pre><p>2026-10-01 00:00 – 2026-11-01 00:00 UTC</p>';
    const html = withTimeElements(page);
    expect(html).toBe(
      '<title>Run 2026-10-01</title><p title="2026-11-30">Due <time datetime="2026-11-30">2026-11-30</time>, ' +
        'run at <time datetime="2026-12-06T11:13Z">2026-12-06 11:13 UTC</time></p>' +
        '<input value="2026-11-30"><select><option>2026-11-30</option></select>' +
        '<pre>{ "at": "2026-12-06T11:13:00Z" }</pre>' +
        '<p><time datetime="2026-10-01T00:00Z">2026-10-01 00:00</time> – ' +
        '<time datetime="2026-11-01T00:00Z">2026-11-01 00:00 UTC</time></p>',
    );
    expect(datesOutsideTime(html)).toEqual([]);
    expect(datesOutsideTime(page)).toEqual([
      "2026-11-30",
      "2026-12-06 11:13 UTC",
      "2026-10-01 00:00",
      "2026-11-01 00:00 UTC",
    ]);
  });
});
