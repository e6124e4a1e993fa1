import { request as httpRequest } from "node:http";
import { BrowserCookies, type SiteForCookies } from "./browser-cookies.ts";

// A browser in miniature for the console's and the portal's HTTP tests, over real HTTP. Its cookies are kept
// by RFC 6265's rules (browser-cookies.ts, shared with test/helpers/page-client.ts), not by name: each goes
// only to its Path, an expired one is gone, a Secure one is neither kept nor sent over plain http, SameSite
// holds for a request from another site. A by-name jar sent every cookie everywhere, so a cookie set on the wrong
// path passed every test (the portal's device cookie missed its reset request until 2026-12-06). Redirects are
// never followed: the tests assert them.

export interface BrowserAnswer {
  status: number;
  location: string | null;
  headers: Headers;
  /** The answer's Set-Cookie lines as sent, for the tests that read a cookie's attributes. */
  setCookies: string[];
  text: string;
}

export interface TestBrowserOptions {
  /** The local address to connect from (any of 127.0.0.0/8): the app sees it as request.ip. */
  localAddress?: string;
}

/** Where a request comes from: this app's own pages (or an address typed), or a link on another site. */
export interface RequestOrigin {
  from?: "same site" | "another site";
}

export class TestBrowser {
  private readonly cookies: BrowserCookies;

  constructor(
    readonly baseUrl: string,
    readonly options: TestBrowserOptions = {},
  ) {
    this.cookies = new BrowserCookies(baseUrl);
  }

  request(
    method: string,
    path: string,
    form?: Record<string, string>,
    origin: RequestOrigin = {},
  ): Promise<BrowserAnswer> {
    const url = this.baseUrl + path;
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const cookie = this.cookies.headerFor(path, this.sameSiteOf(method, origin));
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method,
          ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
          headers: {
            ...(cookie ? { cookie } : {}),
            ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
          },
        },
        (response) => {
          const setCookies = response.headers["set-cookie"] ?? [];
          this.cookies.store(path, setCookies);
          const headers = new Headers();
          for (let i = 0; i < response.rawHeaders.length; i += 2)
            headers.append(response.rawHeaders[i]!, response.rawHeaders[i + 1]!);
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            text += chunk;
          });
          response.on("error", reject);
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              location: response.headers.location ?? null,
              headers,
              setCookies,
              text,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  /** GETs a page, then posts `form` to `action` with the page's CSRF token, as the page's form would. */
  async submit(page: string, action: string, form: Record<string, string>): Promise<BrowserAnswer> {
    const got = await this.request("GET", page);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(got.text)?.[1] ?? "";
    return this.request("POST", action, { _csrf: csrf, ...form });
  }

  /** Logs in through the face's login form: the form's answer, whatever it is. */
  login(face: "console" | "portal", email: string, password: string): Promise<BrowserAnswer> {
    return this.submit(`/${face}/login`, `/${face}/login`, { email, password });
  }

  /** The value of the cookie `name` this browser would send with a request for `path`, if any. */
  cookie(name: string, path: string): string | undefined {
    return this.cookies.value(name, path);
  }

  /** Whether this browser holds a cookie `name` for any path. */
  has(name: string): boolean {
    return this.cookies.has(name);
  }

  /** Forgets every cookie `name` (on every path), as a person who clears it, or a browser that closes. */
  forget(name: string): void {
    this.cookies.forget(name);
  }

  /** Keeps a cookie as if the server had set it on `path` (a forged or copied value, an old session id). */
  plant(name: string, value: string, path: string): void {
    this.cookies.plant(name, value, path);
  }

  /**
   * The request's "site for cookies": every request is same-site but one from a link on another site, which
   * carries Lax cookies only on a top-level GET and Strict ones never (RFC 6265bis 5.2).
   */
  private sameSiteOf(method: string, origin: RequestOrigin): SiteForCookies {
    if (origin.from !== "another site") return "strict";
    return method === "GET" || method === "HEAD" ? "lax" : "none";
  }
}
