import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { MAX_HEADER_BYTES, PAGE_SECURITY_HEADER_LINES } from "../http/protection.ts";
import { pageHtml } from "./render.ts";

// A browser whose request headers are over the server's MAX_HEADER_BYTES (16 KiB, limitedServerFactory) is refused by Node's
// parser before any request or route exists, so the answer is written to the socket here. Most often the
// cause is the browser's own: many or large cookies for the site's address, set by other applications on
// the same host name. Under /console and /portal that person gets a page saying so, with the pages' security
// headers, instead of the admin API's JSON envelope; every other address keeps the envelope
// (answerClientError, src/http/errors.ts).

const PAGE_REQUEST = /^(GET|HEAD) \/(console|portal)(?:[/?# ]|$)/;

/** Answers the parser's refusal as a page when it is a browser's GET or HEAD of a page; else returns false. */
export function answerPageClientError(error: NodeJS.ErrnoException, socket: Socket): boolean {
  if (error.code !== "HPE_HEADER_OVERFLOW" || !socket.writable) return false;
  const start = (error as { rawPacket?: Buffer }).rawPacket?.subarray(0, 200).toString("latin1") ?? "";
  const matched = PAGE_REQUEST.exec(start);
  if (!matched) return false;
  const face = matched[2] as "console" | "portal";
  const html = pageHtml("message", {
    face,
    title: "Request too large",
    heading: "Request too large",
    message: `Your browser sent more than this server reads with one request (${MAX_HEADER_BYTES / 1024} KiB of headers), most often because it holds many or large cookies for this site's address. Delete this site's cookies in the browser and open the page again; you will need to log in again.`,
    back: { href: `/${face}`, text: "Back" },
    csrf: "",
  });
  const body = matched[1] === "HEAD" ? "" : html;
  socket.end(
    `HTTP/1.1 431 ${STATUS_CODES[431]}\r\nContent-Type: text/html; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(html)}\r\nCache-Control: no-store\r\n${PAGE_SECURITY_HEADER_LINES}` +
      `Connection: close\r\n\r\n${body}`,
  );
  return true;
}
