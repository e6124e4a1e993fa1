// `node bin/compile-sources.mjs ROOT DIR`: compiles ROOT's sources into DIR in a process of its own, for a first
// start (bin/compiled-start.mjs, compileInChild, says why it is not done in the starting process). Exits 1 when
// the compile fails; the start then runs the sources through tsx, which says what is wrong.
import { compileInto } from "./compiled-start.mjs";

const [root, dir] = process.argv.slice(2);
if (!root || !dir) process.exit(2);
try {
  await compileInto(root, dir);
} catch {
  process.exit(1);
}
