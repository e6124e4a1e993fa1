// `npm run cli:help-texts`: writes every command's help into help-texts.txt, the text help-texts.test.ts holds
// the program to. Run it after changing a command's options or words, and read the diff before committing it:
// every changed line there is a change a user of the command line sees.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { everyHelpText } from "./help-texts.ts";

const file = join(import.meta.dirname, "help-texts.txt");
writeFileSync(file, await everyHelpText());
process.stdout.write(`wrote ${file}\n`);
