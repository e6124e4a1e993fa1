import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import {
  loggedInPortal,
  namedPortalCustomer,
  type PortalClient,
  type PortalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's lists and their page number: a bad one is a 400 page saying what was wrong (until 2026-12-06
// it was read as page 1, so an edited or truncated link showed the first page as if it were the one asked
// for); a page past the end says so, with the first page.

const file = serverPerFile();
let ada: PortalCustomer;
let client: PortalClient;

beforeAll(async () => {
  ada = await namedPortalCustomer(file.handle, "Ada");
  client = await loggedInPortal(file.server, ada);
});

const LISTS = ["/portal/invoices", "/portal/credit-notes", "/portal/payments", "/portal/statement"];
const BAD_PAGES = ["abc", "-1", "0", "1.5", "99999999999999999999", "1000001"];

describe("a portal list's page number", () => {
  it("refuses a bad one with a 400 page in the portal's layout saying what was wrong", async () => {
    for (const list of LISTS)
      for (const bad of BAD_PAGES) {
        const answer = await client.get(`${list}?page=${encodeURIComponent(bad)}`);
        expect(answer.status, `${list} ${bad}`).toBe(400);
        expect(answer.text, `${list} ${bad}`).toMatch(/page: must be a whole number from 1 to 1000000/i);
        expect(answer.text).toContain('href="/portal/invoices"');
        expect(answer.text).not.toContain(ada.invoiceNumber);
      }
  });

  it("refuses the page given twice", async () => {
    const answer = await client.get("/portal/invoices?page=1&page=2");
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/page: must be a whole number from 1 to 1000000/i);
  });

  it("shows the first page without one or with an empty one, and says a page past the end is empty", async () => {
    for (const list of LISTS) {
      for (const path of [list, `${list}?page=`, `${list}?page=1`]) {
        const answer = await client.get(path);
        expect(answer.status, path).toBe(200);
      }
      const past = await client.get(`${list}?page=7`);
      // The statement reads only its first page by number (later ones by cursor): a 303 to it instead.
      if (list === "/portal/statement") {
        expect([past.status, past.location]).toEqual([303, list]);
        continue;
      }
      expect(past.status, list).toBe(200);
      expect(past.text, list).toContain("This page is past the end of the list, which has one page.");
      expect(past.text, list).toContain(`href="${list}"`);
    }
    const first = await client.get("/portal/invoices?page=1");
    expect(first.text).toContain(ada.invoiceNumber);
  });
});
