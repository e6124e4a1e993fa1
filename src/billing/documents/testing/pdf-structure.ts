import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";

// A tagged PDF's structure tree as poppler reads it (`pdfinfo -struct-text`): what a screen reader walks.

export const HAS_PDFINFO = spawnSync("pdfinfo", ["-v"]).error === undefined;

/** An element of the structure tree: its type (H1, P, Table, TR, TH, TD…), its own text, its children. */
export interface StructNode {
  type: string;
  attributes: string[];
  text: string[];
  children: StructNode[];
}

function pdfinfo(pdf: Buffer, args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "tokenbill-pdfinfo-"));
  try {
    const file = join(dir, "document.pdf");
    writeFileSync(file, pdf);
    const run = spawnSync("pdfinfo", [...args, file], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`pdfinfo failed: ${run.stderr}`);
    return run.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** pdfinfo's "Tagged:" line: "yes" for a PDF with a structure tree that says so. */
export function taggedField(pdf: Buffer): string | undefined {
  return /^Tagged:\s+(\S+)/m.exec(pdfinfo(pdf, []))?.[1];
}

/** The structure tree's top elements, each with its children, as pdfinfo prints them indented by two. */
export function structureOf(pdf: Buffer): StructNode[] {
  const roots: StructNode[] = [];
  const open: { depth: number; node: StructNode }[] = [];
  for (const line of pdfinfo(pdf, ["-struct-text"]).split("\n")) {
    const trimmed = line.trimStart();
    if (trimmed === "") continue;
    const depth = line.length - trimmed.length;
    const innermost = open.at(-1)?.node;
    if (trimmed.startsWith('"')) {
      innermost?.text.push(trimmed.slice(1, -1));
      continue;
    }
    if (trimmed.startsWith("/")) {
      innermost?.attributes.push(trimmed);
      continue;
    }
    const type = /^[A-Za-z0-9]+/.exec(trimmed)?.[0] ?? trimmed;
    const node: StructNode = { type, attributes: [], text: [], children: [] };
    while (open.length > 0 && open.at(-1)!.depth >= depth) open.pop();
    const parent = open.at(-1)?.node;
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
    open.push({ depth, node });
  }
  return roots;
}

/** Every element of the trees, depth first. */
export function allNodes(nodes: readonly StructNode[]): StructNode[] {
  return nodes.flatMap((node) => [node, ...allNodes(node.children)]);
}

/** An element's text, its children's included, joined by spaces. */
export function textOf(node: StructNode): string {
  return [...node.text, ...node.children.map(textOf)].join(" ").trim();
}

/**
 * The file's text with its object streams' contents inflated (pdf-object-streams.ts packs every object
 * that is not a stream, the catalog and the document information among them), to look for a key or value.
 */
export function objectsText(pdf: Buffer): string {
  const latin = pdf.toString("latin1");
  const packed: string[] = [];
  for (const match of latin.matchAll(/\/Type \/ObjStm\n[^>]*\/Length (\d+)\n>>\nstream\n/g)) {
    const start = match.index + match[0].length;
    packed.push(inflateSync(pdf.subarray(start, start + Number(match[1]))).toString("latin1"));
  }
  return [latin, ...packed].join("\n");
}
