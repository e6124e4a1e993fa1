/** Where a project's compiles are kept, one directory each. */
export function cacheOf(root?: string): string;
/** Imports the compiled program (compiling it first when the sources changed); false when it cannot. */
export function startCompiled(env?: NodeJS.ProcessEnv, root?: string): Promise<boolean>;
