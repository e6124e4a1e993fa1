#!/usr/bin/env node
// Runs the TypeScript sources as they are in the checkout: compiled once per change of them (compiled-start.mjs
// says why and how), or through tsx when that cannot be; either way, a checkout never has a stale build.
import { unsupportedNode } from "./node-version.mjs";

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
// `npx tokenbill serve` runs serve as a grandchild of npm, which does not pass SIGTERM on: a supervisor that
// signals npx's pid leaves serve running. npm says it ran us through npx in these two variables.
if (
  process.argv[2] === "serve" &&
  process.env.npm_command === "exec" &&
  /^'?tokenbill'?$/.test(process.env.npm_lifecycle_script ?? "")
) {
  process.stderr.write(
    'note: started through npx, which does not pass SIGTERM on to serve: under a process manager run `node bin/tokenbill.mjs serve` (docs/operations.md, "Signals and logs")\n',
  );
}
const { startCompiled } = await import("./compiled-start.mjs");
if (!(await startCompiled())) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
