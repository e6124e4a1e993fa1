#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a checkout never has a stale build.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
