import { CookieJar } from "tough-cookie";

// The cookie jar of the tests' browsers (test-browser.ts, test/helpers/page-client.ts), kept by RFC 6265's
// rules (tough-cookie), not by name: each cookie goes only to its Path, an expired one (Max-Age=0, an Expires
// in the past) is gone, a Secure one is neither kept nor sent over plain http (loopback included: the test
// server stands for a deployment at an http address, not for a developer's localhost), SameSite holds for a
// request from another site. One module, so that both browsers keep the same rules.

/** The request's "site for cookies" (RFC 6265bis 5.2): "strict" for a request from this app's own pages. */
export type SiteForCookies = "strict" | "lax" | "none";

/** A cookie as the jar keeps it. */
export interface KeptCookie {
  name: string;
  value: string;
  path: string;
}

export class BrowserCookies {
  private readonly jar = new CookieJar(null, { allowSecureOnLocal: false });
  private readonly baseUrl: string;

  /** `baseUrl`: the server's address, which every path below is relative to. */
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  /** The Cookie header a browser sends with a request for `path` ("" when it sends none). */
  headerFor(path: string, site: SiteForCookies = "strict"): string {
    return this.jar.getCookieStringSync(this.baseUrl + path, { sameSiteContext: site });
  }

  /** Keeps the Set-Cookie lines of the answer to a request for `path`, as a browser does. */
  store(path: string, setCookies: readonly string[]): void {
    // A line a browser will not keep (Secure over http, a bad attribute) is dropped quietly, as it drops it.
    for (const line of setCookies) this.jar.setCookieSync(line, this.baseUrl + path, { ignoreError: true });
  }

  /** The value of the cookie `name` sent with a request for `path`, if any. */
  value(name: string, path: string): string | undefined {
    return this.jar.getCookiesSync(this.baseUrl + path).find((c) => c.key === name)?.value;
  }

  /** Whether the jar holds a cookie `name` for any path. */
  has(name: string): boolean {
    return this.all().some((c) => c.name === name);
  }

  /** Every cookie kept, on every path. */
  all(): KeptCookie[] {
    return this.jar
      .getCookiesSync(this.baseUrl, { allPaths: true })
      .map((c) => ({ name: c.key, value: c.value, path: c.path ?? "/" }));
  }

  /** Forgets every cookie `name` (on every path), as a person who clears it, or a browser that closes. */
  forget(name: string): void {
    // The in-memory store deletes at once; the promise only reports it.
    for (const c of this.jar.getCookiesSync(this.baseUrl, { allPaths: true }))
      if (c.key === name) void this.jar.store.removeCookie(c.domain, c.path, c.key);
  }

  /**
   * Keeps a cookie as if the server had set it on `path` (a forged or copied value, an old session id), so
   * that it travels exactly where the server's own would.
   */
  plant(name: string, value: string, path: string): void {
    this.jar.setCookieSync(`${name}=${value}; Path=${path}`, this.baseUrl + path);
  }
}
