import type { Command } from "commander";

/**
 * Every command of the table under `command`, groups included, each with the words that name it (`billing`,
 * `billing run`): the tests that must reach each command walk this, so a command added is walked too.
 */
export function everyCommand(command: Command, words: string[] = []): { path: string; command: Command }[] {
  return [
    ...(words.length ? [{ path: words.join(" "), command }] : []),
    ...command.commands.flatMap((c) => everyCommand(c, [...words, c.name()])),
  ];
}
