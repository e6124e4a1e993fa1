import { Agent, fetch } from "undici";
import { BrowserCookies } from "../../src/web/testing/browser-cookies.ts";

// A browser in miniature for the console's and the portal's HTTP tests: forms posted with the CSRF token of
// the page they are on, redirects never followed (tests assert them), and cookies kept by RFC 6265's rules
// with the test browser's jar (src/web/testing/browser-cookies.ts): each sent only to its Path, gone when it
// expires or is deleted, a Secure one not over http. Every request is from the app's own pages (same site).
// Until 2026-12-06 it kept cookies by name and sent each everywhere, so a cookie on the wrong path passed.

export interface PageAnswer {
  status: number;
  location: string | null;
  headers: Headers;
  type: string;
  body: Buffer;
  /** The body as text when it is text (HTML, CSV, JSON); "" for a PDF. */
  text: string;
}

/**
 * Connections left idle for at most 100 ms. The server closes an idle one after 5 s (protection.ts); a client
 * that reuses a connection the server is closing gets "other side closed" before any answer. The default
 * client keeps one for the server's 5 s less 1 s, counted from when it has read the answer: on a loaded
 * machine, after a large answer read slowly, that was past the server's 5 s, and a console test's next form
 * failed with `fetch failed` (CI, 2026-12-07, console-backup after the 6.9 MB download). A browser retries such
 * a request by itself; this client does not, so it never reuses a connection near the server's limit.
 */
const pages = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });

export class PageClient {
  /** The cookies this client holds: a test reads, plants or forgets one here, by name and path. */
  readonly cookies: BrowserCookies;

  constructor(readonly baseUrl: string) {
    this.cookies = new BrowserCookies(baseUrl);
  }

  /** `form` as fields to encode, or as a body already encoded (bytes a browser would not send). */
  async request(method: string, path: string, form?: Record<string, string> | string): Promise<PageAnswer> {
    const cookie = this.cookies.headerFor(path);
    const response = await fetch(this.baseUrl + path, {
      dispatcher: pages,
      method,
      redirect: "manual",
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: typeof form === "string" ? form : form ? new URLSearchParams(form).toString() : undefined,
    });
    this.cookies.store(path, response.headers.getSetCookie());
    const type = response.headers.get("content-type") ?? "";
    const body = Buffer.from(await response.arrayBuffer());
    const textual = type === "" || type.startsWith("text/") || type.includes("json");
    return {
      status: response.status,
      location: response.headers.get("location"),
      headers: response.headers,
      type,
      body,
      text: textual ? body.toString("utf8") : "",
    };
  }

  get(path: string): Promise<PageAnswer> {
    return this.request("GET", path);
  }

  /**
   * GETs `page`, then posts `form` to `action` with that page's CSRF token and, on a money form, its one-time
   * key (src/web/form-once.ts), as the page's form would.
   */
  async submit(page: string, action: string, form: Record<string, string> = {}): Promise<PageAnswer> {
    const got = await this.get(page);
    return this.request("POST", action, { ...hiddenOf(got.text), ...form });
  }

  /**
   * As submit, with `encoded` (already percent-encoded, as no browser would: %ED%A0%80, a lone surrogate's
   * bytes) sent after the form's fields.
   */
  async submitEncoded(
    page: string,
    action: string,
    form: Record<string, string>,
    encoded: string,
  ): Promise<PageAnswer> {
    const got = await this.get(page);
    const fields = new URLSearchParams({ ...hiddenOf(got.text), ...form }).toString();
    return this.request("POST", action, `${fields}&${encoded}`);
  }

  /** Logs in through the face's login form; throws unless it lands on the face's home page. */
  async logInTo(face: "console" | "portal", email: string, password: string): Promise<this> {
    const answer = await this.submit(`/${face}/login`, `/${face}/login`, { email, password });
    if (answer.status !== 303 || answer.location !== `/${face}`)
      throw new Error(`login of ${email} to the ${face} answered ${answer.status}`);
    return this;
  }
}

/** The hidden fields a page's form sends without being typed: the CSRF token, a money form's key. */
export function hiddenOf(html: string): Record<string, string> {
  const hidden: Record<string, string> = {};
  for (const name of ["_csrf", "form_key"]) {
    const value = new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1];
    if (value !== undefined) hidden[name] = value;
  }
  if (hidden["_csrf"] === undefined) hidden["_csrf"] = "";
  return hidden;
}
