import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiReference } from "./api-reference.ts";
import { ROOT } from "./markdown.ts";

// `npm run docs:api`: writes docs/api.md again after a route is added, removed or reworded.
writeFileSync(join(ROOT, "docs", "api.md"), apiReference());
console.log("wrote docs/api.md");
