import { type PageAnswer, PageClient } from "../../../test/helpers/page-client.ts";

// For the console's people pages' db tests. Only tests import it.

export type Answer = PageAnswer;

/** The console's client (test/helpers/page-client.ts) logged in as a staff user. */
export class ConsoleClient extends PageClient {
  static async logIn(baseUrl: string, email: string, password: string): Promise<ConsoleClient> {
    return new ConsoleClient(baseUrl).logInTo("console", email, password);
  }
}

/** The text of the element with this id (tags stripped), or undefined. */
export function textOf(html: string, id: string): string | undefined {
  // Up to the element's end, past the <time> elements inside it (render.ts puts every date in one).
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(?!time>)`).exec(html);
  return match?.[1]?.replace(/<[^>]+>/g, "").trim();
}
