#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a checkout never has a stale build.
import { unsupportedNode } from "./node-version.mjs";

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const { register } = await import("tsx/esm/api");
register();
await import("../src/cli/main.ts");
