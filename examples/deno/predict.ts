// Encrypted inference from Deno: the same library (dist/) and the same build/blindml.wasm as in
// Node. Fetches the model's client artifact from S3, draws a fresh secret key, and runs
// SageMakerInferenceClient.predict — evaluation keys uploaded once under their SHA-256, the
// encrypted rows uploaded, InvokeEndpointAsync, wait for the result object, download, decrypt.
// Prints one JSON line with the decrypted predictions and the timings; exits 0. On failure it
// prints "deno predict: <message>" on stderr and exits 1 (2 for a usage error).
//
// Against the local stack, from the repository root (`npm install` built dist/ and the .wasm):
//
//   node bin/blindml.js train --data ../shared/datasets/breast_cancer.csv --target target \
//     --model tree --depth 3 --out /tmp/tree
//   node bin/blindml.js local --model /tmp/tree      # another shell: prints `export AWS_…` lines; run them here
//   node_modules/.bin/deno run --no-prompt --allow-net=127.0.0.1 --allow-read=build/blindml.wasm \
//     --allow-env='AWS_*,BLINDML_*,HOME' --ignore-env --allow-sys=osRelease examples/deno/predict.ts \
//     --model s3://blindml/models/blindml/model.tar.gz --endpoint-name blindml \
//     --upload-prefix s3://blindml/clients/deno --rows '[[17.99, 10.38, 122.8, …30 numbers…]]'
//
// `npm run example:deno -- --model … --endpoint-name … --upload-prefix … --rows '…'` is the same
// command. No deno.json and no extra flags for modules: Deno 2 finds the repository's package.json
// above this script (from any working directory) and resolves the bare imports (@aws-sdk/*,
// fflate, nanotar, @assemblyscript/loader) from the node_modules/ npm installed, without touching
// it (node_modules mode "manual", the default when a package.json is found). The library comes
// from dist/ (`npm run build:ts`); the engine is build/blindml.wasm, fetched from its file: URL.
// Permissions: loopback (for AWS itself: --allow-net=<the S3 and runtime.sagemaker hosts>); read
// of the .wasm only (add a --csv file to --allow-read); the AWS_* and BLINDML_* variables and HOME
// (--ignore-env: the SDK's probes of any other variable see it unset; its look for ~/.aws/config
// is denied, which it treats as no file — pass credentials as options or AWS_* variables); and the
// OS release, which the SDK puts in its user agent. `deno check --unstable-sloppy-imports
// examples/deno/predict.ts` type-checks it against dist/'s declarations.
//
// Options (each falls back to the environment variable in brackets):
//   --s3-endpoint URL        S3 endpoint [AWS_ENDPOINT_URL_S3]; omit for AWS itself
//   --runtime-endpoint URL   SageMaker runtime endpoint [AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME]
//   --region NAME            [AWS_REGION] (default us-east-1)
//   --access-key-id ID       [AWS_ACCESS_KEY_ID], --secret-access-key KEY [AWS_SECRET_ACCESS_KEY],
//                            --session-token TOKEN [AWS_SESSION_TOKEN]
//   --model S3_URI           model.tar.gz or client.zip in S3 [BLINDML_MODEL_URI]
//   --endpoint-name NAME     [BLINDML_ENDPOINT_NAME]
//   --upload-prefix S3_URI   where this client writes its keys and queries [BLINDML_UPLOAD_PREFIX]
//   --rows JSON              one row [1, 2, …] or several [[…], […]] [BLINDML_ROWS]
//   --csv PATH               or rows from a CSV (numeric columns; a header row is skipped)
//   --ignore a,b             CSV columns to leave out (by header name or 0-based index)
//   --limit N                first N CSV rows only
//   --mode async|sync        InvokeEndpointAsync (default) or InvokeEndpoint
//   --timeout SECONDS        how long to wait for the async result (default 300)
//   --verbose                progress events on stderr
//
// Only web-standard and Deno APIs here (fetch, Web Crypto, Deno.args/env/readTextFile/exit).
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
// @ts-types="../../dist/src/sagemaker/index.d.ts"
import { SageMakerInferenceClient, fetchModelClient, parseS3Uri, s3ErrorKind } from "../../dist/src/sagemaker/index.js";
import type { ProgressEvent } from "../../dist/src/sagemaker/index.js";

class UsageError extends Error {}

interface Options {
  s3Endpoint?: string;
  runtimeEndpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  model: string;
  endpointName: string;
  uploadPrefix: string;
  rows: number[][];
  mode: "async" | "sync";
  timeoutMs: number;
  verbose: boolean;
}

const FLAGS = new Set([
  "s3-endpoint", "runtime-endpoint", "region", "access-key-id", "secret-access-key", "session-token", "model",
  "endpoint-name", "upload-prefix", "rows", "csv", "ignore", "limit", "mode", "timeout",
]);
const SWITCHES = new Set(["verbose", "help"]);

/** An environment variable, or undefined when unset or not granted (--allow-env=…). */
function env(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
  const value = Deno.env.get(name);
  return value === "" ? undefined : value;
}

function parseArgs(args: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (SWITCHES.has(name)) {
      values.set(name, "true");
    } else if (FLAGS.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return values;
}

function parseRowsJson(text: string): number[][] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--rows is not JSON: ${(e as Error).message}`);
  }
  const rows = Array.isArray(value) && value.length > 0 && !Array.isArray(value[0]) ? [value] : value;
  if (!Array.isArray(rows) || rows.length === 0) throw new UsageError("--rows must be a row [x1, x2, …] or a non-empty array of rows");
  return rows.map((row, r) => {
    if (!Array.isArray(row) || row.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
      throw new UsageError(`--rows: row ${r} is not an array of finite numbers`);
    }
    return row as number[];
  });
}

async function readCsvRows(path: string, ignore: string[], limit: number): Promise<number[][]> {
  const lines = (await Deno.readTextFile(path)).split(/\r?\n/).filter((line) => line.trim() !== "");
  const cells = lines.map((line) => line.split(",").map((c) => c.trim()));
  const header = cells.length > 0 && cells[0].some((c) => c !== "" && !Number.isFinite(Number(c))) ? cells.shift() : undefined;
  const skip = new Set(ignore.map((name) => {
    const index = header ? header.indexOf(name) : -1;
    if (index >= 0) return index;
    if (/^\d+$/.test(name)) return Number(name);
    throw new UsageError(`--ignore: ${path} has no column "${name}"`);
  }));
  const rows = cells.slice(0, limit).map((row, r) =>
    row.filter((_, c) => !skip.has(c)).map((cell, c) => {
      const x = Number(cell);
      if (cell === "" || !Number.isFinite(x)) throw new UsageError(`${path}: row ${r + 1}, column ${c + 1} is not a number ("${cell}")`);
      return x;
    }),
  );
  if (rows.length === 0) throw new UsageError(`${path} has no data rows`);
  return rows;
}

async function readOptions(args: string[]): Promise<Options | undefined> {
  const flags = parseArgs(args);
  if (flags.has("help")) return undefined;
  const get = (flag: string, variable?: string) => flags.get(flag) ?? (variable ? env(variable) : undefined);
  const need = (flag: string, variable: string) => {
    const value = get(flag, variable);
    if (value === undefined) throw new UsageError(`--${flag} (or ${variable}) is required`);
    return value;
  };
  const model = need("model", "BLINDML_MODEL_URI");
  const uploadPrefix = need("upload-prefix", "BLINDML_UPLOAD_PREFIX");
  for (const [flag, uri] of [["model", model], ["upload-prefix", `${uploadPrefix.replace(/\/+$/, "")}/x`]]) {
    try {
      parseS3Uri(uri);
    } catch (e) {
      throw new UsageError(`--${flag}: ${(e as Error).message}`);
    }
  }
  const csv = flags.get("csv");
  const limit = Number(flags.get("limit") ?? Infinity);
  if (!(limit >= 1)) throw new UsageError("--limit must be a positive number");
  const rowsJson = flags.get("rows") ?? (csv === undefined ? env("BLINDML_ROWS") : undefined);
  if ((csv === undefined) === (rowsJson === undefined)) throw new UsageError("give the input as --rows JSON or --csv PATH (one of them)");
  const rows = csv !== undefined
    ? await readCsvRows(csv, (flags.get("ignore") ?? "").split(",").filter((s) => s !== ""), limit)
    : parseRowsJson(rowsJson!);
  const mode = flags.get("mode") ?? "async";
  if (mode !== "async" && mode !== "sync") throw new UsageError(`--mode is "async" or "sync", not "${mode}"`);
  const timeout = Number(flags.get("timeout") ?? 300);
  if (!(timeout > 0)) throw new UsageError("--timeout must be a positive number of seconds");
  const accessKeyId = get("access-key-id", "AWS_ACCESS_KEY_ID");
  const secretAccessKey = get("secret-access-key", "AWS_SECRET_ACCESS_KEY");
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) throw new UsageError("give both the access key id and the secret access key");
  return {
    s3Endpoint: get("s3-endpoint", "AWS_ENDPOINT_URL_S3"),
    runtimeEndpoint: get("runtime-endpoint", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"),
    region: get("region", "AWS_REGION") ?? "us-east-1",
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: get("session-token", "AWS_SESSION_TOKEN") } : undefined,
    model,
    endpointName: need("endpoint-name", "BLINDML_ENDPOINT_NAME"),
    uploadPrefix,
    rows,
    mode,
    timeoutMs: timeout * 1000,
    verbose: flags.has("verbose"),
  };
}

function usage(): string {
  return [
    "usage: deno run --no-prompt --allow-net=HOSTS --allow-read=build/blindml.wasm '--allow-env=AWS_*,BLINDML_*,HOME' --ignore-env",
    "         --allow-sys=osRelease examples/deno/predict.ts",
    "         --model s3://… --endpoint-name NAME --upload-prefix s3://… (--rows JSON | --csv PATH [--ignore a,b] [--limit N])",
    "         [--s3-endpoint URL] [--runtime-endpoint URL] [--region R] [--access-key-id ID --secret-access-key KEY]",
    "         [--mode async|sync] [--timeout SECONDS] [--verbose]",
  ].join("\n");
}

async function main(options: Options): Promise<void> {
  const started = performance.now();
  // Checksums only when S3 requires them, as the local stack (s3rver) needs and AWS accepts.
  const common = { region: options.region, credentials: options.credentials };
  const s3 = new S3Client({
    ...common, endpoint: options.s3Endpoint, forcePathStyle: options.s3Endpoint !== undefined,
    requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
  });
  const runtime = new SageMakerRuntimeClient({ ...common, endpoint: options.runtimeEndpoint });
  try {
    let lap = performance.now();
    let model;
    try {
      model = await fetchModelClient(s3, options.model);
    } catch (e) {
      const kind = s3ErrorKind(e);
      const reason = kind === "not-found" ? "not found" : kind === "access-denied" ? "access denied" : (e as Error).message;
      throw new Error(`cannot fetch the model's client artifact ${options.model}: ${reason} (${(e as Error).name})`, { cause: e });
    }
    const fetchModel = performance.now() - lap;

    lap = performance.now();
    model.generateKeys();
    model.evaluationKeys(); // generated here (timed with the key), uploaded by predict
    const keygen = performance.now() - lap;

    try {
      const client = new SageMakerInferenceClient({
        model, s3, runtime, endpointName: options.endpointName, uploadPrefix: options.uploadPrefix,
        poll: { initialDelayMs: 50, maxDelayMs: 2_000, timeoutMs: options.timeoutMs },
        onProgress: options.verbose
          ? (e: ProgressEvent) => console.error(`[${e.elapsedMs.toFixed(0).padStart(6)} ms] ${e.stage}${e.detail ? ` ${e.detail}` : ""}${e.bytes ? ` ${e.bytes} B` : ""}`)
          : undefined,
      });
      const result = await client.predict(options.rows, { mode: options.mode });
      const round = (ms: number) => Math.round(ms * 10) / 10;
      const { total: predict, ...stages } = result.timings;
      const timings = { fetchModel, keygen, ...stages, predict, total: performance.now() - started };
      console.log(JSON.stringify({
        runtime: `deno ${Deno.version.deno}`,
        model: { uri: options.model, name: model.manifest.model, parameterSet: model.manifest.parameterSet, bootstraps: model.needsEvaluationKeys },
        endpointName: options.endpointName,
        inferenceId: result.inferenceId,
        mode: result.mode,
        rows: options.rows.length,
        predictions: result.predictions,
        probabilities: result.probabilities,
        scores: result.scores,
        keys: result.keys,
        bytes: result.bytes,
        timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round(v)])),
      }));
    } finally {
      model.free(); // wipes the secret key
    }
  } finally {
    s3.destroy();
    runtime.destroy();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${typeof code === "string" ? `[${code}] ` : ""}${error.message}`;
}

let exitCode = 0;
try {
  const options = await readOptions(Deno.args);
  if (options === undefined) console.log(usage());
  else await main(options);
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`deno predict: ${e.message}\n${usage()}`);
    exitCode = 2;
  } else {
    console.error(`deno predict: ${describe(e)}`);
    if (env("BLINDML_DEBUG") === "1" && e instanceof Error && e.stack) console.error(e.stack);
    exitCode = 1;
  }
}
Deno.exit(exitCode);
