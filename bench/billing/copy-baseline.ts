import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The columns a run writes to every line; the rest of invoice_line is left to its defaults (null).
const COLUMNS =
  "invoice_id, position, kind, server_id, server_uuid, server_name, plan_name, server_created_at, " +
  "server_deleted_at, quantity, hours, charge_kind, tokens, recomputed_tokens, unit_cost, amount";

/**
 * Times a bare COPY of `rows` invoice lines into an unconstrained copy of invoice_line (no keys, checks or
 * triggers), read by psql's \copy from a file as a client would: the floor a billing run is measured
 * against. The file is written first (streamed, so a million customers' lines never sit in memory) and only
 * the COPY is timed.
 */
export async function timeCopy(url: string, schema: string, rows: number): Promise<number> {
  const table = `${schema}.copy_baseline`;
  await psql(url, `CREATE TABLE ${table} (LIKE ${schema}.invoice_line)`);
  const dir = mkdtempSync(join(tmpdir(), "bench-copy-"));
  const file = join(dir, "lines.csv");
  try {
    await writeRows(file, rows);
    const started = performance.now();
    await psql(url, `\\copy ${table} (${COLUMNS}) FROM '${file}' WITH (FORMAT csv)`);
    return performance.now() - started;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows shaped like the lines a run writes: one server per line, three lines an invoice. */
async function writeRows(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const CHUNK = 10_000;
  for (let start = 0; start < rows; start += CHUNK) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(rows, start + CHUNK); i++) {
      parts.push(
        `inv_${(Math.floor(i / 3) + 1).toString(16).padStart(16, "0")},${i % 3},server,${i + 1},00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")},vps-${i + 1},"1 Core, 1 GB RAM",2026-10-01T00:00:00Z,,1,744,monthly_cap,5000,5000,0.001,500\n`,
      );
    }
    if (!out.write(parts.join(""))) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

function psql(url: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", command], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr}`)),
    );
  });
}
