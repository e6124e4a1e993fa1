import type { Command } from "commander";
import { tokenbillProgram } from "../program.ts";
import { everyCommand } from "./every-command.ts";

/**
 * The help of the program and of every command in the table, groups' commands included, one after another
 * under a `== tokenbill <path>` line, as commander writes it at 80 columns (a test's stdout is no terminal).
 */
export async function everyHelpText(): Promise<string> {
  const program = await tokenbillProgram(() => true);
  const commands: { path: string; command: Command }[] = [
    { path: "", command: program },
    ...everyCommand(program),
  ];
  return commands
    .map(({ path, command }) => `== tokenbill ${path}`.trimEnd() + `\n${command.helpInformation()}`)
    .join("\n");
}
