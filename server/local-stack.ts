// The whole SageMaker flow on one machine: local S3 (s3rver, file-backed), the local SageMaker
// runtime, and an inference server — in this process (modelDir) or already running elsewhere
// (containerUrl, e.g. container/serve started as a child process). Used by `blindml local`, the
// demo and the tests. The model archive is put into S3 as model.tar.gz, where a deployed model's
// owner would share it and where clients fetch their client.zip from.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { packModelTarball } from "../src/artifacts/package.js";
import { startLocalS3, LOCAL_S3_CREDENTIALS } from "../src/local/s3.js";
import type { LocalS3 } from "../src/local/s3.js";
import { startLocalRuntime } from "../src/local/runtime.js";
import type { LocalRuntime, RuntimeLogRecord } from "../src/local/runtime.js";
import { parseRuntimeConfig } from "../src/local/runtime-config.js";
import { putObjectBytes } from "../src/sagemaker/s3-objects.js";
import { parseS3Uri } from "../src/sagemaker/s3-uri.js";
import { startServer } from "./index.js";
import type { RunningServer } from "./index.js";
import type { Limits } from "./app.js";
import type { Logger } from "./log.js";
import { silentLogger } from "./log.js";
import { createWebApp } from "./web.js";
import type { PageConfig } from "./web.js";
import { listen } from "../src/local/http.js";
import type { Listening } from "../src/local/http.js";

export interface LocalStackOptions {
  /** Serve this model directory in-process (server.zip + client.zip, or model.tar.gz). */
  modelDir?: string;
  /** Or use an inference server already listening here (its model is not uploaded). */
  containerUrl?: string;
  /** Where S3 keeps its objects; default a temporary directory removed by close(). */
  s3Directory?: string;
  bucket?: string;
  endpointName?: string;
  host?: string;
  /** 0 (the default for each) picks a free port. */
  ports?: { s3?: number; runtime?: number; server?: number };
  /** Async invocations the runtime sends the container at once (MaxConcurrentInvocationsPerInstance). */
  maxConcurrentInvocations?: number;
  /** Bootstrap threads of the in-process server (default every core). */
  workers?: number;
  limits?: Partial<Limits>;
  /** How long close() lets in-flight work of the in-process server finish. */
  graceMs?: number;
  serverLog?: Logger;
  runtimeLog?: (record: RuntimeLogRecord) => void;
  /** Also serve the web example (examples/web) and let its origin use S3 and the runtime (CORS). */
  web?: WebOptions;
}

export interface WebOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Example inputs the page offers, with their labels. */
  samples?: PageConfig["samples"];
  /** The model the page uses, when the stack serves a containerUrl (default: the uploaded modelDir's). */
  modelUri?: string;
  pageDir?: string;
  bundleDir?: string;
}

export interface LocalStack {
  readonly s3: LocalS3;
  readonly runtime: LocalRuntime & { readonly url: string };
  /** The in-process server (absent with containerUrl). */
  readonly server?: RunningServer;
  readonly containerUrl: string;
  readonly bucket: string;
  readonly endpointName: string;
  readonly outputPath: string;
  readonly failurePath: string;
  /** s3://…/model.tar.gz of the served model (absent with containerUrl). */
  readonly modelUri?: string;
  /** The web example's address (with the web option). */
  readonly webUrl?: string;
  /** The environment that points the AWS SDK and CLI at this stack. */
  readonly env: Readonly<Record<string, string>>;
  s3Client(): S3Client;
  runtimeClient(): SageMakerRuntimeClient;
  /** Stops the server (draining), then the runtime (its queued invocations end), then S3. */
  close(): Promise<void>;
}

export const DEFAULT_BUCKET = "blindml";
export const DEFAULT_ENDPOINT = "blindml";

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if ((options.modelDir === undefined) === (options.containerUrl === undefined)) throw new Error("startLocalStack needs a modelDir or a containerUrl, not both.");
  const host = options.host ?? "127.0.0.1";
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  const endpointName = options.endpointName ?? DEFAULT_ENDPOINT;
  // the page's origin must be known before S3 and the runtime start: their CORS rules name it
  if (options.web && !isLoopback(host)) {
    throw new Error(`The web example is served on loopback only (it hands out the local stack's credentials, and Web Crypto needs a secure context); got host ${host}.`);
  }
  let pageConfig: PageConfig | undefined;
  const web = options.web ? await listen(createWebApp({ pageDir: options.web.pageDir, bundleDir: options.web.bundleDir, config: () => pageConfig }), host, options.web.port ?? 0) : undefined;
  const corsOrigins = web ? loopbackOrigins(web.port) : undefined;
  let s3: LocalS3;
  try {
    s3 = await startLocalS3({ directory: options.s3Directory, host, port: options.ports?.s3 ?? 0, buckets: [bucket], corsOrigins });
  } catch (e) {
    await web?.close();
    throw e;
  }
  const started: { server?: RunningServer; runtime?: Awaited<ReturnType<typeof startLocalRuntime>>; web?: Listening } = { web };
  try {
    const modelUri = options.modelDir ? await uploadModel(s3.client(), options.modelDir, `s3://${bucket}/models/${endpointName}/model.tar.gz`) : undefined;
    if (options.modelDir) started.server = await startInProcessServer(options, s3, host);
    const containerUrl = started.server?.url ?? options.containerUrl!;
    const outputPath = `s3://${bucket}/async/${endpointName}/output`;
    const failurePath = `s3://${bucket}/async/${endpointName}/failure`;
    const config = parseRuntimeConfig({
      endpoints: { [endpointName]: { containerUrl, outputPath, failurePath, maxConcurrentInvocations: options.maxConcurrentInvocations ?? 1 } },
    });
    started.runtime = await startLocalRuntime({ config, s3: s3.client(), host, port: options.ports?.runtime ?? 0, log: options.runtimeLog, corsOrigins });
    const runtime = started.runtime;
    if (web) {
      const pageModelUri = options.web?.modelUri ?? modelUri;
      if (!pageModelUri) throw new Error("The web option needs a modelDir or web.modelUri: the page fetches the model's client from S3.");
      pageConfig = {
        region: "us-east-1", credentials: { accessKeyId: LOCAL_S3_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_S3_CREDENTIALS.secretAccessKey }, s3Endpoint: s3.endpoint, runtimeEndpoint: runtime.url,
        modelUri: pageModelUri, endpointName, uploadPrefix: `s3://${bucket}/clients/web`, samples: options.web?.samples,
      };
    }
    return {
      s3, runtime, server: started.server, containerUrl, bucket, endpointName, outputPath, failurePath, modelUri, webUrl: web?.url,
      env: stackEnvironment(s3.endpoint, runtime.url),
      s3Client: () => s3.client(),
      runtimeClient: () => new SageMakerRuntimeClient({ endpoint: runtime.url, region: "us-east-1", credentials: { ...LOCAL_S3_CREDENTIALS } }),
      close: () => closeStack(started.server, runtime, s3, options.graceMs ?? 5_000, web),
    };
  } catch (e) {
    await closeStack(started.server, started.runtime, s3, 0, web).catch(() => undefined);
    throw e;
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The page's origin under each loopback name a user may type (they are different origins). */
function loopbackOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
}

/**
 * The variables that point the AWS SDK (v3, and the AWS CLI) at the stack: service-specific
 * endpoint URLs, s3rver's fixed credentials, and checksums only where S3 requires them (s3rver
 * does not decode the SDK's default aws-chunked uploads).
 */
export function stackEnvironment(s3Endpoint: string, runtimeEndpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: runtimeEndpoint,
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
    AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
  };
}

/** model.tar.gz from the directory (as is, or packed from its two zips) into S3; its URI. */
export async function uploadModel(s3: S3Client, modelDir: string, uri: string): Promise<string> {
  await putObjectBytes(s3, parseS3Uri(uri), await modelTarball(modelDir), "application/gzip");
  return uri;
}

async function modelTarball(dir: string): Promise<Uint8Array> {
  const tarball = await readFile(join(dir, "model.tar.gz")).catch(() => undefined);
  if (tarball) return tarball;
  try {
    const [server, client] = await Promise.all([readFile(join(dir, "server.zip")), readFile(join(dir, "client.zip"))]);
    return packModelTarball(server, client);
  } catch (e) {
    throw new Error(`${dir} holds neither model.tar.gz nor server.zip and client.zip (${(e as Error).message})`);
  }
}

async function startInProcessServer(options: LocalStackOptions, s3: LocalS3, host: string): Promise<RunningServer> {
  const server = await startServer({
    modelDir: options.modelDir!,
    host,
    port: options.ports?.server ?? 0,
    s3: s3.clientConfig,
    limits: options.limits,
    logger: options.serverLog ?? silentLogger,
    graceMs: options.graceMs,
    modelOptions: options.workers === undefined ? undefined : { workers: options.workers },
  });
  try {
    await server.model; // a model that cannot load is the caller's error now, not a 503 later
  } catch (e) {
    await server.shutdown(0);
    throw e;
  }
  return server;
}

async function closeStack(server: RunningServer | undefined, runtime: { close(): Promise<void> } | undefined, s3: LocalS3, graceMs: number, web?: Listening): Promise<void> {
  await web?.close();
  await server?.shutdown(graceMs);
  await runtime?.close(); // queued invocations now fail fast and write their failure objects
  await s3.close();
}
