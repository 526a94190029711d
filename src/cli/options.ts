// Option value parsers for commander: each returns the parsed value or throws commander's
// InvalidArgumentError, which commander reports as a usage error naming the option.
import { InvalidArgumentError } from "commander";

export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError("expected a positive integer.");
  return value;
}

export function nonNegativeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError("expected an integer ≥ 0.");
  return value;
}

/** A fraction strictly between 0 and 1. */
export function fraction(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value < 1)) throw new InvalidArgumentError("expected a number between 0 and 1.");
  return value;
}

/** A probability written as a number (1e-12) or a power of two (2^-40). */
export function probability(text: string): number {
  const power = /^2\^(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  const value = power ? 2 ** Number(power[1]) : Number(text);
  if (!(value > 0 && value < 1)) throw new InvalidArgumentError("expected a probability in (0, 1), e.g. 1e-12 or 2^-40.");
  return value;
}

/** Comma-separated positive integers: "64" or "32,16". */
export function integerList(text: string): number[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part) || Number(part) < 1)) throw new InvalidArgumentError('expected positive integers separated by commas, e.g. "64" or "32,16".');
  return parts.map(Number);
}

/** Comma-separated names, accumulated over repeated options. */
export function nameList(text: string, previous: string[] = []): string[] {
  return [...previous, ...text.split(",").map((name) => name.trim()).filter((name) => name !== "")];
}
