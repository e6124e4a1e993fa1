import { z } from "zod";
import { afterEach, expect, it } from "vitest";
import { followPages, type JsonReader, MAX_PAGES } from "./follow-pages.ts";
import { type PageServer, startPageServer } from "./testing/page-server.ts";

// A list is read page after page until SolusIO's meta.last_page. Nothing in the answers themselves ends it:
// a SolusIO (or a proxy before it) that ignores `page` answers page 1 every time, and a last_page of
// millions keeps a reader asking for as long as SolusIO answers.

const user = { id: 1, email: "a@example.com", status: "active" };
let server: PageServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it("stops at a page that is not the one asked for, instead of reading page 1 again and again", async () => {
  const first = { data: [user], meta: { current_page: 1, last_page: 1_000_000 } };
  server = await startPageServer([first, first, first, first]);
  await expect(server.api.listUsers()).rejects.toThrow(
    "GET users: SolusIO answered page 1 when asked for page 2",
  );
  expect(server.requests.map((r) => r.query["page"])).toEqual(["1", "2"]);
});

it("reads at most MAX_PAGES pages of one list", async () => {
  let asked = 0;
  const endless: JsonReader = {
    getJson: async (_path, query) => {
      if (++asked > MAX_PAGES + 1) throw new Error("read on past the bound");
      return { data: [user], meta: { current_page: query["page"], last_page: 2 ** 40 } };
    },
  };
  const Page = z.looseObject({
    data: z.array(z.unknown()),
    meta: z.looseObject({ current_page: z.number().int(), last_page: z.number().int() }).optional(),
  });
  const pages = followPages(
    endless,
    "users",
    (page) => ({ page }),
    Page,
    () => new Error("not a list"),
  );
  const read = (async () => {
    for await (const _ of pages);
  })();
  await expect(read).rejects.toThrow(`GET users: more than ${MAX_PAGES} pages`);
  expect(asked).toBe(MAX_PAGES);
});
