// Structured logs: one JSON object per line on stdout, for CloudWatch (SageMaker ships a
// container's stdout there). Records carry sizes, ids and timings, never key or query bytes.

export interface LogRecord {
  readonly level: "info" | "warn" | "error";
  readonly msg: string;
  readonly [field: string]: unknown;
}

export type Logger = (record: LogRecord) => void;

/** Writes each record as one JSON line with a timestamp first. */
export function jsonLineLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return (record) => write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
}

export const silentLogger: Logger = () => undefined;
