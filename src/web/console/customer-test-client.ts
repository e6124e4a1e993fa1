// A browser in miniature for the console's db tests: keeps cookies, sends forms with the page's CSRF token,
// never follows redirects (tests assert them). Only tests import it.

export interface Answer {
  status: number;
  location: string | null;
  text: string;
  headers: Headers;
  bytes: Buffer;
}

export class ConsoleClient {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly baseUrl: string) {}

  async request(method: string, path: string, form?: Record<string, string>): Promise<Answer> {
    const response = await fetch(this.baseUrl + path, {
      method,
      redirect: "manual",
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=");
      if (value === "" || /Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name!);
      else this.cookies.set(name!, value!);
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      location: response.headers.get("location"),
      text: bytes.toString("utf8"),
      headers: response.headers,
      bytes,
    };
  }

  get(path: string): Promise<Answer> {
    return this.request("GET", path);
  }

  /** GETs `page`, then posts `form` to `action` with the page's CSRF token, as the page's form would. */
  async submit(page: string, action: string, form: Record<string, string> = {}): Promise<Answer> {
    const got = await this.get(page);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(got.text)?.[1] ?? "";
    return this.request("POST", action, { _csrf: csrf, ...form });
  }

  static async logIn(baseUrl: string, email: string, password: string): Promise<ConsoleClient> {
    const client = new ConsoleClient(baseUrl);
    const answer = await client.submit("/console/login", "/console/login", { email, password });
    if (answer.status !== 303 || answer.location !== "/console")
      throw new Error(`login of ${email} failed: ${answer.status}`);
    return client;
  }
}

/** The text of the element with this id (tags stripped), or undefined. */
export function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return match?.[1]?.replace(/<[^>]+>/g, "").trim();
}
