// Child processes for the container, CLI and load tests: the entrypoints (container/train,
// container/serve) and bin/blindml.js run as they would in production, with their output
// collected, JSON log lines parsed, and a way to wait for a given line.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const TRAIN = fileURLToPath(new URL("../container/train", import.meta.url));
export const SERVE = fileURLToPath(new URL("../container/serve", import.meta.url));
export const BIN = fileURLToPath(new URL("../bin/blindml.js", import.meta.url));

/** The environment of a child: this one's, minus AWS settings that could reach a real account. */
export function childEnv(extra = {}) {
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  for (const name of Object.keys(env)) if (name.startsWith("AWS_") && name !== "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED") delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith("SM_") || name.startsWith("BLINDML_SAGEMAKER")) delete env[name];
  return { ...env, ...extra };
}

/**
 * Starts `command args` and collects its output. Returns { child, stdout(), stderr(), logs(),
 * exited, waitFor(predicate, timeoutMs) } where logs() are the stdout lines that parse as JSON
 * and waitFor resolves with the first stdout line (parsed when JSON) matching the predicate.
 */
export function startProcess(command, args, { env = childEnv(), cwd } = {}) {
  const isScript = command.endsWith(".js");
  const child = spawn(isScript ? process.execPath : command, isScript ? [command, ...args] : args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const lines = [];
  const waiters = [];
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    out += chunk;
    const parts = out.split("\n");
    for (const line of parts.slice(lines.length, -1)) {
      const entry = parseLine(line);
      lines.push(entry);
      for (const w of [...waiters]) if (w.match(entry)) w.resolve(entry);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => (err += chunk));
  // a command that cannot start (ENOENT, EACCES) emits "error" and never "exit": report it as an exit
  const failed = new Promise((resolve) => child.once("error", (e) => {
    err += `cannot start ${command}: ${e.message}\n`;
    resolve({ code: null, signal: null });
  }));
  const exited = Promise.race([new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))), failed]);
  // "close": the process ended and its output has been read to the end
  const closed = Promise.race([new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal }))), failed]);
  const waitFor = (match, timeoutMs = 30_000) => {
    const seen = lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (v) => { clearTimeout(timer); waiters.splice(waiters.indexOf(waiter), 1); resolve(v); } };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`no matching line within ${timeoutMs} ms; stdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`));
      }, timeoutMs);
      waiters.push(waiter);
      exited.then(({ code }) => reject(new Error(`the process exited (code ${code}) before a matching line; stdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`)));
    });
  };
  return { child, exited, closed, waitFor, stdout: () => out, stderr: () => err, logs: () => lines.filter((l) => typeof l === "object") };
}

/** Runs to the end: { code, stdout, stderr, logs }. */
export async function runProcess(command, args, options) {
  const p = startProcess(command, args, options);
  const { code } = await p.closed;
  return { code, stdout: p.stdout(), stderr: p.stderr(), logs: p.logs() };
}

function parseLine(line) {
  if (!line.startsWith("{")) return line;
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}

/** A TCP port that was free a moment ago (for servers that must be told their port). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls url until it answers `status` (default 200). */
export async function waitForStatus(url, { status = 200, timeoutMs = 30_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const answer = await fetch(url).then((r) => r.status, () => 0);
    if (answer === status) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${answer})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
