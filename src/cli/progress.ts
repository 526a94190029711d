// Progress on stderr: bars over counted work (epochs, rows), spinners with the elapsed time over
// work that reports nothing (key generation, server-side evaluation, in a worker thread). Drawn
// only on a terminal; elsewhere (pipes, CI) each step prints one line when it ends.
import { SingleBar } from "cli-progress";
import { formatSeconds } from "./io.js";

const SPINNER_FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function isInteractive(): boolean {
  return process.stderr.isTTY === true && process.env.BLINDML_NO_PROGRESS !== "1";
}

/** A status line on stderr (stdout carries the command's results). */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export interface Progress {
  /** Sets the count done so far, with an optional detail shown after the bar. */
  update(done: number, detail?: string): void;
  /** Removes the bar and prints "<label>: <summary> (<elapsed>)". */
  finish(summary: string): void;
}

export function progressBar(label: string, total: number, unit: string): Progress {
  const started = performance.now();
  const bar = isInteractive()
    ? new SingleBar({
        format: `${label} [{bar}] {value}/{total} ${unit} | {duration_formatted}{detail}`,
        barsize: 24, hideCursor: true, clearOnComplete: true, stopOnComplete: false,
      })
    : undefined;
  bar?.start(total, 0, { detail: "" });
  return {
    update(done, detail) {
      bar?.update(done, { detail: detail ? ` | ${detail}` : "" });
    },
    finish(summary) {
      bar?.stop();
      note(`${label}: ${summary} (${formatSeconds(performance.now() - started)})`);
    },
  };
}

/** Runs asynchronous work under a spinner with the elapsed time; prints the summary it returns. */
export async function withSpinner<T>(label: string, work: () => Promise<T>, summarize: (value: T) => string): Promise<T> {
  const started = performance.now();
  const bar = isInteractive() ? new SingleBar({ format: `{spinner} ${label} {duration_formatted}`, hideCursor: true, clearOnComplete: true }) : undefined;
  let frame = 0;
  bar?.start(1, 0, { spinner: SPINNER_FRAMES[0] });
  const timer = bar ? setInterval(() => bar.update(0, { spinner: SPINNER_FRAMES[++frame % SPINNER_FRAMES.length] }), 100) : undefined;
  try {
    const value = await work();
    stopSpinner(bar, timer);
    note(`${label}: ${summarize(value)} (${formatSeconds(performance.now() - started)})`);
    return value;
  } catch (e) {
    stopSpinner(bar, timer);
    throw e;
  }
}

function stopSpinner(bar: SingleBar | undefined, timer: ReturnType<typeof setInterval> | undefined): void {
  if (timer) clearInterval(timer);
  bar?.stop();
}

/** A synchronous step that reports nothing while it runs: its label, then its duration. */
export function step<T>(label: string, work: () => T, summarize: (value: T) => string = () => "done"): T {
  const started = performance.now();
  if (isInteractive()) process.stderr.write(`${label}…`);
  let value: T;
  try {
    value = work();
  } finally {
    if (isInteractive()) process.stderr.write("\r\x1b[2K");
  }
  note(`${label}: ${summarize(value)} (${formatSeconds(performance.now() - started)})`);
  return value;
}
