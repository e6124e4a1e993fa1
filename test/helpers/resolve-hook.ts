import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Writes into `dir` a module hook that appends every URL the process resolves, one a line, to the file named by
 * its TB_RESOLVED environment variable; answers the Node flags that register it (`--import …`). Flags go to the
 * process they are given to, not to processes it starts: what a start leaves to a child is not listed.
 */
export function resolveHookFlags(dir: string): string[] {
  const hook = join(dir, "resolve-hook.mjs");
  writeFileSync(
    hook,
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  appendFileSync(process.env.TB_RESOLVED, found.url + "\\n");
  return found;
}
`,
  );
  const register = join(dir, "register-resolve-hook.mjs");
  writeFileSync(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
  );
  return ["--import", pathToFileURL(register).href];
}

/** The packages of node_modules among resolved `urls` (a compile in node_modules/.cache is not one). */
export function packagesOf(urls: readonly string[]): Set<string> {
  const packages = new Set<string>();
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m && !url.includes("/node_modules/.cache/")) packages.add(m[1]!);
  }
  return packages;
}
