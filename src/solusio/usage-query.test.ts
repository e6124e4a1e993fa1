import { describe, expect, it } from "vitest";
import { usageQuery } from "./usage-schemas.ts";

const OCTOBER = { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") };

describe("usageQuery", () => {
  it("asks for the whole period page by page, for every customer when none is named", () => {
    expect(usageQuery(OCTOBER, 3)).toEqual({
      period_start: "2026-10-01T00:00:00Z",
      period_end: "2026-11-01T00:00:00Z",
      page: 3,
    });
  });

  it("narrows to one billing user at the origin when the caller names one", () => {
    expect(usageQuery({ ...OCTOBER, billingUserId: 42n }, 1)).toMatchObject({
      "filter[billing_user_id]": "42",
      page: 1,
    });
  });
});
