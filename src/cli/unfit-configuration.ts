// A configuration that parses but that this command cannot work with (DATA_DIR=memory:// for a command, no
// TOKENBILL_PUBLIC_URL for setup): said in one line, with exit code 78 as for an invalid setting.

export class UnfitConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnfitConfigurationError";
  }
}
