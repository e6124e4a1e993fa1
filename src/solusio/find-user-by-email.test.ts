import { afterEach, describe, expect, it } from "vitest";
import { type PageServer, startPageServer } from "./testing/page-server.ts";

// solusio-api.md §2: `filter[search]` is a substring search, so `erin@x` finds `xerin@x` first. The user is
// the exact e-mail match (case-insensitive) on any page, never `data[0]`. The same rule against the emulator,
// through a whole sync, is in test/solusio/adoption-conflict.db.test.ts.

let solusio: PageServer | undefined;
afterEach(async () => {
  await solusio?.close();
  solusio = undefined;
});

const user = (id: number, email: string, billing_user_id: number | null = null) => ({
  id,
  email,
  status: "active",
  billing_user_id,
});

describe("SolusioApi.findUserByEmail", () => {
  it("skips a substring decoy on page 1 and finds the exact match, case-insensitively, on page 2", async () => {
    solusio = await startPageServer([
      {
        data: [user(7, "xerin@example.com", 99), user(8, "erin@example.com.evil")],
        meta: { current_page: 1, last_page: 2 },
      },
      { data: [user(12, "Erin@Example.COM")], meta: { current_page: 2, last_page: 2 } },
    ]);
    const found = await solusio.api.findUserByEmail("erin@example.com");
    expect(found?.id).toBe(12);
    expect(solusio.requests).toEqual([
      { path: "/api/v1/users", query: { "filter[search]": "erin@example.com", page: "1" } },
      { path: "/api/v1/users", query: { "filter[search]": "erin@example.com", page: "2" } },
    ]);
  });

  it("finds nobody when only substrings match, after reading every page", async () => {
    solusio = await startPageServer([
      { data: [user(7, "xerin@example.com")], meta: { current_page: 1, last_page: 2 } },
      { data: [user(9, "erin@example.community")], meta: { current_page: 2, last_page: 2 } },
    ]);
    expect(await solusio.api.findUserByEmail("erin@example.com")).toBeUndefined();
    expect(solusio.requests).toHaveLength(2);
  });
});
