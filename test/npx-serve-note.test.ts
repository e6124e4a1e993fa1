import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

// `npx tokenbill serve` does not pass SIGTERM on to serve (npm exec runs it as a grandchild): serve started that
// way says so once on stderr. A bad PORT ends the start at once, after the note.

const BIN = fileURLToPath(new URL("../bin/tokenbill.mjs", import.meta.url));

function serve(npx: boolean) {
  const { npm_command: _c, npm_lifecycle_script: _s, ...env } = process.env;
  return spawnSync(process.execPath, [BIN, "serve"], {
    env: {
      ...env,
      PORT: "not-a-port",
      ...(npx ? { npm_command: "exec", npm_lifecycle_script: "'tokenbill'" } : {}),
    },
    encoding: "utf8",
  });
}

it("notes on stderr that npx does not pass SIGTERM on, only when started through npx", () => {
  const through = serve(true);
  expect(through.status).toBe(78);
  expect(through.stderr).toContain("started through npx, which does not pass SIGTERM on");
  expect(through.stderr).toContain("node bin/tokenbill.mjs serve");
  const direct = serve(false);
  expect(direct.status).toBe(78);
  expect(direct.stderr).not.toContain("npx");
}, 60_000);
