// The inference server, assembled: model loading, the Hono app on a Node HTTP server, and a
// shutdown that stops accepting, lets in-flight work finish within the grace period, then closes.
import { S3Client } from "@aws-sdk/client-s3";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { Hono } from "hono";
import type { ModelServer, ModelServerOptions } from "../src/artifacts/server.js";
import { listen } from "../src/local/http.js";
import type { Listening } from "../src/local/http.js";
import { createApp } from "./app.js";
import type { Limits } from "./app.js";
import { Lifecycle } from "./lifecycle.js";
import type { DrainOutcome } from "./lifecycle.js";
import { jsonLineLogger } from "./log.js";
import type { Logger } from "./log.js";
import { loadModelServer } from "./model.js";

export interface StartOptions {
  modelDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  limits?: Partial<Limits>;
  /** An S3 client, or the settings to make one. */
  s3: S3Client | S3ClientConfig;
  logger?: Logger;
  graceMs?: number;
  /** Passed to ModelServer.load (cache size, limits, worker threads). */
  modelOptions?: ModelServerOptions;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly app: Hono;
  readonly lifecycle: Lifecycle;
  /** Resolves once the model is loaded (rejects if it cannot be). */
  readonly model: Promise<ModelServer>;
  /** Stops accepting, waits for in-flight work up to graceMs, closes every connection. */
  shutdown(graceMs?: number): Promise<DrainOutcome>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const log = options.logger ?? jsonLineLogger();
  const s3 = options.s3 instanceof S3Client ? options.s3 : new S3Client(options.s3);
  const lifecycle = new Lifecycle();
  const limits = options.limits ?? {};
  const model = loadModelServer(options.modelDir, {
    // the model's own checks agree with the server's, so a size is refused the same way everywhere
    maxQueryBytes: limits.maxQueryBytes,
    maxKeyBytes: limits.maxKeyBytes,
    ...options.modelOptions,
  });
  model.catch(() => undefined); // reported by the app (log, /ping 503) and by the caller's await
  const app = createApp({ modelServer: model, s3, limits, logger: log, lifecycle });
  // listen before the model is loaded: SageMaker polls /ping from the start
  const listening = await listen(app, options.host ?? "0.0.0.0", options.port ?? 8080);
  log({ level: "info", msg: "listening", url: listening.url, modelDir: options.modelDir });
  const graceDefault = options.graceMs ?? 25_000;
  let stopping: Promise<DrainOutcome> | undefined;

  const shutdown = (graceMs = graceDefault): Promise<DrainOutcome> => {
    stopping ??= (async () => {
      const drained = lifecycle.drain(graceMs); // refuses new invocations from here on
      const closed = listening.close();
      log({ level: "info", msg: "shutting down", inflight: lifecycle.active, graceMs });
      const outcome = await drained;
      // finished invocations may still be writing their responses: let those connections end
      // (idle ones are closed as they become idle) before cutting whatever is left — the
      // abandoned invocations, whose callers then see the connection close instead of waiting
      if (outcome.finished) await untilClosed(listening, closed, RESPONSE_FLUSH_MS);
      listening.server.closeAllConnections();
      await closed;
      // a model still busy with abandoned work must not be freed under it
      if (outcome.finished) await (await model.catch(() => undefined))?.close(); // stops its worker threads
      log({ level: outcome.finished ? "info" : "warn", msg: "stopped", ...outcome });
      return outcome;
    })();
    return stopping;
  };

  return { url: listening.url, port: listening.port, app, lifecycle, model, shutdown };
}

/** How long a drained server waits for finished invocations' responses to be written. */
const RESPONSE_FLUSH_MS = 5_000;

/** Resolves when `closed` does, or after `maxMs`, closing connections as they turn idle. */
async function untilClosed(listening: Listening, closed: Promise<void>, maxMs: number): Promise<void> {
  let done = false;
  void closed.then(() => (done = true));
  const deadline = performance.now() + maxMs;
  while (!done && performance.now() < deadline) {
    listening.server.closeIdleConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export { createApp, DEFAULT_LIMITS, parseInvocation } from "./app.js";
export type { AppOptions, Limits } from "./app.js";
export { Lifecycle } from "./lifecycle.js";
export type { DrainOutcome } from "./lifecycle.js";
export { HttpError, toHttpError } from "./errors.js";
export { jsonLineLogger, silentLogger } from "./log.js";
export type { Logger, LogRecord } from "./log.js";
export { readServerConfig, s3ConfigFromEnv, ConfigError } from "./config.js";
export type { ServerConfig } from "./config.js";
export { loadModelServer, readModelArtifact } from "./model.js";
export { startLocalStack, stackEnvironment, uploadModel, DEFAULT_BUCKET, DEFAULT_ENDPOINT } from "./local-stack.js";
export type { LocalStack, LocalStackOptions, WebOptions } from "./local-stack.js";
export { createWebApp } from "./web.js";
export type { PageConfig, WebAppOptions } from "./web.js";
export { sageMakerLayout, DEFAULT_SAGEMAKER_ROOT } from "./sagemaker-layout.js";
export type { SageMakerLayout } from "./sagemaker-layout.js";
