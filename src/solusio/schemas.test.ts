import { describe, expect, it } from "vitest";
import { z } from "zod";
import { page, SolusioLimitGroup, SolusioUser, single } from "./schemas.ts";

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

describe("users and limit groups from SolusIO", () => {
  it("arrive with their e-mail and names showable: control, separator and override characters become U+FFFD", () => {
    // `solusio reconcile` prints a user's e-mail to a terminal, and a sync conflict stores it in the customer's
    // sync error: a C1 CSI (U+009B) there is an escape sequence, U+202E reverses what follows, a NUL fails the
    // statement. JSON.stringify, which the report goes through, escapes none of the three but the NUL.
    const user = SolusioUser.parse({
      id: 5,
      email: "ada\u009b31m@example.com\u202emoc.live",
      status: "active",
      billing_user_id: null,
      limit_group: { id: 2, name: "Gold\u0000\u2028" },
    });
    expect(user.email).toBe("ada\uFFFD31m@example.com\uFFFDmoc.live");
    expect(user.limit_group?.name).toBe("Gold\uFFFD\uFFFD");
    expect(SolusioLimitGroup.parse({ id: 2, name: "Gold\u001b[2J" }).name).toBe("Gold\uFFFD[2J");
    expect(SolusioUser.parse({ id: 6, email: "x".repeat(400), status: "active" }).email).toHaveLength(320);
  });

  it("keeps ordinary addresses and names exactly", () => {
    const user = SolusioUser.parse({ id: 5, email: "Zoë.Łukasz@example.com", status: "active" });
    expect(user.email).toBe("Zoë.Łukasz@example.com");
    expect(SolusioLimitGroup.parse({ id: 2, name: "Золото" }).name).toBe("Золото");
  });
});
