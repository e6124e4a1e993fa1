// Our icon (a "t" in amber on the console header's near-black), inline, for every HTML document tokenbill
// serves: the console's and portal's layout, the single sign-on page and the invoice, credit note and
// statement documents. A document without one makes the browser ask for /favicon.ico, which no route answers
// (a 404 for each page opened). A data: URL keeps a document self-contained (an invoice opened from an
// e-mail or saved to disk), and the pages' Content-Security-Policy (helmet's `img-src 'self' data:`) allows it.

export const PAGE_ICON_HREF =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='16' height='16' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%231b1b1f'/%3E%3Cpath d='M6 3h2v3h3v2H8v4h3v2H8a2 2 0 0 1-2-2V8H4V6h2z' fill='%23f59e0b'/%3E%3C/svg%3E";

/** The `<link>` that names it, for a document's head. */
export const PAGE_ICON_LINK = `<link rel="icon" href="${PAGE_ICON_HREF}">`;
