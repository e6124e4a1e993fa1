/**
 * One row of a document's table in `pdftotext -layout` text (pdf-text.ts): the line that holds `first` (a
 * reference), and the lines its cells wrapped onto, up to the next row or a blank line. A row's first cell
 * (the date) starts at the line's start; a wrapped part starts indented, under its column.
 */
export function pdfTableRow(text: string, first: string): { line: string; wrapped: string } {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.includes(first));
  if (at < 0) throw new Error(`no line of the PDF holds ${JSON.stringify(first)}`);
  const wrapped: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === "" || !/^\s/.test(l)) break;
    wrapped.push(l.trim());
  }
  return { line: lines[at]!, wrapped: wrapped.join(" ") };
}
