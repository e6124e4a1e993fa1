import { describe, expect, it } from "vitest";
import { z } from "zod";
import { page, SolusioUser, single } from "./schemas.ts";

describe("SolusIO envelopes", () => {
  it("are built once per item schema, so zod compiles each envelope's parser once", () => {
    expect(single(SolusioUser)).toBe(single(SolusioUser));
    expect(page(SolusioUser)).toBe(page(SolusioUser));
    expect(single(SolusioUser)).not.toBe(page(SolusioUser));
    const other = z.looseObject({ id: z.number() });
    expect(single(other)).not.toBe(single(SolusioUser));
  });

  it("read SolusIO's shapes: one resource under data, a page with its meta", () => {
    const item = z.looseObject({ id: z.number() });
    expect(single(item).parse({ data: { id: 7 }, extra: true })).toEqual({ data: { id: 7 }, extra: true });
    expect(page(item).parse({ data: [{ id: 1 }], meta: { current_page: 1, last_page: 2 } })).toEqual({
      data: [{ id: 1 }],
      meta: { current_page: 1, last_page: 2 },
    });
    expect(single(item).safeParse({ data: { id: "7" } }).success).toBe(false);
  });
});
