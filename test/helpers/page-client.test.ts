import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookiesQuery, startCookieEchoServer } from "../../src/web/testing/cookie-echo-server.ts";
import { PageClient } from "./page-client.ts";

// The page client keeps cookies as the test browser does (src/web/testing/browser-cookies.ts), against a
// server that sets the Set-Cookie lines a request names (`?set=`) and answers with the Cookie header it got.

let echo: Awaited<ReturnType<typeof startCookieEchoServer>>;
let base: string;

beforeAll(async () => {
  echo = await startCookieEchoServer();
  base = echo.base;
});
afterAll(() => echo.close());

/** The Cookie header the server was sent with a GET of `path`. */
async function sent(client: PageClient, path: string): Promise<string> {
  return (JSON.parse((await client.get(path)).text) as { cookie: string }).cookie;
}
const set = setCookiesQuery;

describe("the page client's cookies", () => {
  it("sends a cookie only to its Path, and keeps one per name and path", async () => {
    const client = new PageClient(base);
    await client.get(`/${set("s=1; Path=/console", "s=2; Path=/portal")}`);
    expect(await sent(client, "/console/customers")).toBe("s=1");
    expect(await sent(client, "/portal")).toBe("s=2");
    expect(await sent(client, "/")).toBe("");
    expect(client.cookies.value("s", "/portal")).toBe("2");
  });

  it("forgets a cookie deleted by Max-Age=0 on its path, and neither keeps nor sends a Secure one over http", async () => {
    const client = new PageClient(base);
    await client.get(`/${set("a=1; Path=/x", "a=1; Path=/y", "sec=1; Path=/; Secure")}`);
    await client.get(`/${set("a=; Path=/x; Max-Age=0")}`);
    expect(await sent(client, "/x")).toBe("");
    expect(await sent(client, "/y")).toBe("a=1");
    expect(client.cookies.has("sec")).toBe(false);
  });
});
