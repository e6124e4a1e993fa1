import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookiesQuery, startCookieEchoServer } from "./cookie-echo-server.ts";
import { TestBrowser } from "./test-browser.ts";

// The test browser keeps cookies as a browser does, against a server that sets the Set-Cookie lines a request
// names (`?set=`) and answers with the Cookie header it was sent and the address it came from.

let echo: Awaited<ReturnType<typeof startCookieEchoServer>>;
let base: string;

beforeAll(async () => {
  echo = await startCookieEchoServer();
  base = echo.base;
});
afterAll(() => echo.close());

/** What the server was sent with a request for `path`. */
async function sent(b: TestBrowser, method: string, path: string, from?: "another site") {
  const answer = await b.request(method, path, method === "GET" ? undefined : {}, from ? { from } : {});
  return JSON.parse(answer.text) as { cookie: string; from: string };
}
const set = setCookiesQuery;

describe("the test browser's cookies", () => {
  it("sends a cookie only to its Path and the paths under it", async () => {
    const b = new TestBrowser(base);
    await b.request("GET", `/portal/login${set("dev=1; Path=/portal/login; HttpOnly")}`);
    expect((await sent(b, "GET", "/portal/login")).cookie).toBe("dev=1");
    expect((await sent(b, "GET", "/portal/login/code")).cookie).toBe("dev=1");
    expect((await sent(b, "GET", "/portal")).cookie).toBe("");
    expect((await sent(b, "GET", "/portal/loginx")).cookie).toBe("");
    expect(b.cookie("dev", "/portal/login")).toBe("1");
    expect(b.cookie("dev", "/portal")).toBeUndefined();
  });

  it("keeps one cookie per name and path, and forgets one that expires", async () => {
    const b = new TestBrowser(base);
    await b.request("GET", `/${set("s=1; Path=/a", "s=2; Path=/b", "t=1; Path=/", "u=1; Path=/")}`);
    expect((await sent(b, "GET", "/a")).cookie).toBe("s=1; t=1; u=1");
    expect((await sent(b, "GET", "/b")).cookie).toBe("s=2; t=1; u=1");
    await b.request(
      "GET",
      `/${set("s=3; Path=/a; Max-Age=0", "t=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")}`,
    );
    await b.request("GET", `/${set("u=1; Path=/; Expires=Wed, 01 Jan 2020 00:00:00 GMT")}`);
    expect((await sent(b, "GET", "/a")).cookie).toBe("");
    expect((await sent(b, "GET", "/b")).cookie).toBe("s=2");
  });

  it("neither keeps nor sends a Secure cookie over http", async () => {
    const b = new TestBrowser(base);
    await b.request("GET", `/${set("sec=1; Path=/; Secure", "plain=1; Path=/")}`);
    expect((await sent(b, "GET", "/")).cookie).toBe("plain=1");
    expect(b.has("sec")).toBe(false);
  });

  it("holds SameSite for a request from another site", async () => {
    const b = new TestBrowser(base);
    await b.request("GET", `/${set("strict=1; Path=/; SameSite=Strict", "lax=1; Path=/; SameSite=Lax")}`);
    expect((await sent(b, "GET", "/")).cookie).toBe("strict=1; lax=1");
    expect((await sent(b, "GET", "/", "another site")).cookie).toBe("lax=1");
    expect((await sent(b, "POST", "/", "another site")).cookie).toBe("");
  });

  it("forgets a cookie on every path, plants one where the server would, and connects from its address", async () => {
    const b = new TestBrowser(base, { localAddress: "127.0.0.3" });
    await b.request("GET", `/${set("d=1; Path=/x", "d=1; Path=/y", "k=1; Path=/")}`);
    b.forget("d");
    expect(b.has("d")).toBe(false);
    b.plant("p", "forged", "/x");
    const got = await sent(b, "GET", "/x");
    expect(got).toEqual({ cookie: "p=forged; k=1", from: "127.0.0.3" }); // the longer path first
    expect((await sent(b, "GET", "/")).cookie).toBe("k=1");
  });
});
