// How the command line reports failures: one line "blindml: <message>" on stderr, exit code 1
// for failures and 2 for usage errors; the stack only with --verbose or BLINDML_DEBUG=1.

/** The command was called wrongly (a bad option value, a missing column): exit code 2. */
export class UsageError extends Error {
  readonly code = "BLINDML_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The command cannot do its job (a missing file, no keys yet): exit code 1. */
export class CliError extends Error {
  readonly code = "BLINDML_CLI";
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Collapses a (possibly multi-line) message into one line. */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
}

export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

export function wantsStackTraces(argv: readonly string[]): boolean {
  return argv.includes("--verbose") || process.env.BLINDML_DEBUG === "1";
}

/** Prints an error as one line (plus its stack when asked for) and returns the exit code. */
export function reportError(error: unknown, verbose: boolean): number {
  const message = oneLine(error instanceof Error ? error.message : String(error)) || "unknown error";
  const hint = verbose || isExpected(error) ? "" : " (--verbose shows where)";
  process.stderr.write(`blindml: ${message}${hint}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return exitCodeOf(error);
}

/** Errors with a code (the library's typed errors, file-system errors) or bad-input RangeErrors. */
function isExpected(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}
