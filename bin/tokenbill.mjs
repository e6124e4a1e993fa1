#!/usr/bin/env node
// Runs the TypeScript sources as they are in the checkout: compiled once per change of them (compiled-start.mjs
// says why and how), or through tsx when that cannot be; either way, a checkout never has a stale build.
import { unsupportedNode } from "./node-version.mjs";

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const { startCompiled } = await import("./compiled-start.mjs");
if (!(await startCompiled())) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
