import { spawn } from "node:child_process";

/**
 * Times a bare COPY of `rows` invoice lines into an unconstrained copy of invoice_line (no keys, checks or
 * triggers), streamed through psql's \copy as a client would: the floor a billing run is measured against.
 */
export async function timeCopy(url: string, schema: string, rows: number): Promise<number> {
  const table = `${schema}.copy_baseline`;
  await psql(url, `CREATE TABLE ${table} (LIKE ${schema}.invoice_line)`);
  const csv = copyRows(rows);
  const started = performance.now();
  await psql(url, `\\copy ${table} FROM STDIN WITH (FORMAT csv)`, csv);
  return performance.now() - started;
}

/** Rows shaped like the lines a run writes: 16 columns, one server per line. */
function copyRows(rows: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < rows; i++) {
    parts.push(
      `inv_${(Math.floor(i / 3) + 1).toString(16).padStart(16, "0")},${i % 3},server,${i + 1},00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")},vps-${i + 1},"1 Core, 1 GB RAM",2026-10-01T00:00:00Z,,1,744,monthly_cap,5000,5000,0.001,500\n`,
    );
  }
  return Buffer.from(parts.join(""));
}

function psql(url: string, command: string, input?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", command], {
      stdio: [input ? "pipe" : "ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr}`)),
    );
    if (input) child.stdin!.end(input);
  });
}
