// The container's `serve` entry: node dist/server/start.js. Settings from the environment
// (see config.ts); logs are JSON lines on stdout; SIGTERM drains and exits 0.
import { readServerConfig } from "./config.js";
import { jsonLineLogger } from "./log.js";
import { startServer } from "./index.js";

const log = jsonLineLogger();

async function main(): Promise<void> {
  const config = readServerConfig();
  const running = await startServer({
    modelDir: config.modelDir,
    host: config.host,
    port: config.port,
    limits: config.limits,
    s3: config.s3,
    logger: log,
    graceMs: config.graceMs,
    modelOptions: { maxCachedKeys: config.maxCachedKeys, workers: config.workers },
  });
  running.model.then(
    (m) => log({ level: "info", msg: "model loaded", model: m.manifest.model, circuitId: m.manifest.circuitId, parameterSet: m.set.name }),
    // a server without a model can never become healthy: exit so the platform sees it at once
    () => void running.shutdown(0).then(() => process.exit(1)),
  );
  const stop = (signal: string) => {
    log({ level: "info", msg: "signal", signal });
    // exit 0 either way: abandoned invocations were failed (their connections closed) and logged
    void running.shutdown().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((e: unknown) => {
  log({ level: "error", msg: "startup failed", error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
