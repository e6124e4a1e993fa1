import { escapeHtml } from "./html-escape.ts";
import { PAGE_ICON_LINK } from "./page-icon.ts";

/**
 * A whole HTML document page: one language, UTF-8, a viewport for phones, the title and inline style, and
 * `main` (the lines inside <main>, with its opening tag), and our icon inline (page-icon.ts). Self-contained
 * so it opens from an e-mail.
 */
export function htmlPage(input: {
  title: string;
  style: string;
  main: string;
  body: readonly string[];
}): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    PAGE_ICON_LINK,
    `<style>${input.style}</style>`,
    "</head>",
    "<body>",
    input.main,
    ...input.body,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
