/** Where a project's compiles are kept, one directory each. */
export function cacheOf(root?: string): string;
/** Imports the compiled program (compiling it first when the sources changed); false when it cannot. */
export function startCompiled(env?: NodeJS.ProcessEnv, root?: string): Promise<boolean>;
/** The compiled entry for the sources as they are now, made if missing; undefined when it cannot be. */
export function compiledEntry(root?: string): Promise<string | undefined>;
/** A hash of what a project's compiled program is made from. */
export function sourcesHash(root?: string): string;
