// blindml end to end on this machine: encrypted MNIST inference through the SageMaker flow.
//
//   npm run demo                      10 held-out digits (train the model once, ~2 min, then cached)
//   npm run demo -- --images 3        fewer digits
//   npm run demo -- --quick           3 digits and a model trained for 2 epochs (its own cache entry)
//   npm run demo -- --record          also write bench/results/e2e.json and BENCHMARKS.md's section
//   npm run demo -- --web             then keep the stack up with the web example (examples/web):
//                                     draw a digit in a browser; Ctrl-C stops (also --web-port <n>)
//   other flags: --retrain, --cache-dir <dir> (default .cache/blindml-demo), --workers <n>, --verbose
//
// 1. container/train (the training image's entry) trains the 784 → 392 → 10 MLP on MNIST under
//    SageMaker's training contract, with /opt/ml under the cache directory; the result is reused
//    for the same training configuration (the cache key is a hash of it).
// 2. The local stack: S3 (s3rver) and the SageMaker runtime stand-in on loopback; model.tar.gz
//    goes into S3 as a deployed model's would.
// 3. "Deployment": model.tar.gz from S3 unpacked into /opt/ml/model, then container/serve (the
//    inference image's entry) as a child process on a free port.
// 4. The client (SageMakerInferenceClient): client.zip from S3, keys, evaluation keys uploaded
//    once, then one InvokeEndpointAsync per digit, with the time of every stage.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { ARTIFACT_FORMAT_VERSION, unpackServer, unpackModelTarball, quantizeRows, runClear, dequantize, decide, toDenseMatrix } from "blindml";
import { startLocalStack, uploadModel, DEFAULT_BUCKET } from "blindml/server";
import { SageMakerInferenceClient, fetchModelClient, headObject, parseS3Uri } from "blindml/sagemaker";
import { loadMnist } from "../dist/server/training/data.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // Node 20 is this project's floor

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TRAIN = join(ROOT, "container", "train");
const SERVE = join(ROOT, "container", "serve");
const MNIST_TRAIN_ROWS = 8000; // the training entry's default: the digits after these are held out
const ENDPOINT = "mnist";

// ---------------------------------------------------------------- options

function parseOptions(argv) {
  const options = { images: 10, quick: false, record: false, retrain: false, verbose: false, cacheDir: join(ROOT, ".cache", "blindml-demo"), workers: undefined, web: false, webPort: 8000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--images") options.images = positive(value(), arg);
    else if (arg === "--quick") options.quick = true;
    else if (arg === "--record") options.record = true;
    else if (arg === "--retrain") options.retrain = true;
    else if (arg === "--verbose") options.verbose = true;
    else if (arg === "--cache-dir") options.cacheDir = resolve(value());
    else if (arg === "--workers") options.workers = positive(value(), arg);
    else if (arg === "--web") options.web = true;
    else if (arg === "--web-port") options.webPort = positive(value(), arg);
    else if (arg === "--help" || arg === "-h") options.help = true;
    else throw new Error(`unknown option ${arg} (see the top of examples/demo.js)`);
  }
  if (options.quick && !argv.includes("--images")) options.images = 3;
  return options;
}

function positive(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a positive integer, got "${text}"`);
  return n;
}

/** The training job's hyperparameters, as SageMaker passes them: every value a string. */
function hyperparametersFor(options) {
  // the training job's MNIST defaults: 8 epochs over the digits and their one-pixel shifts
  return { dataset: "mnist", hidden: "392", epochs: options.quick ? "2" : "8", seed: "1", augment_shifts: "true" };
}

// ---------------------------------------------------------------- output

const say = (line = "") => process.stdout.write(`${line}\n`);
const fmtMs = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
const fmtBytes = (n) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const percent = (v) => `${(v * 100).toFixed(1)} %`;

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// ---------------------------------------------------------------- 1. training

/** Trains through container/train unless this configuration's model is cached; its layout root. */
async function trainedModel(options) {
  const hyperparameters = hyperparametersFor(options);
  const key = createHash("sha256").update(JSON.stringify({ hyperparameters, format: ARTIFACT_FORMAT_VERSION })).digest("hex").slice(0, 16);
  const root = join(options.cacheDir, key, "opt", "ml");
  const modelDir = join(root, "model");
  const cached = !options.retrain && (await exists(join(modelDir, "server.zip"))) && (await exists(join(modelDir, "client.zip")));
  const where = relative(process.cwd(), modelDir) || modelDir;
  if (cached) {
    say(`   cached: ${where} (training configuration ${key}; --retrain trains again)`);
  } else {
    say(`   training through container/train (dataset=mnist, ${hyperparameters.epochs} epochs; SageMaker layout under ${relative(process.cwd(), root) || root})`);
    await mkdir(join(root, "input", "config"), { recursive: true });
    await writeFile(join(root, "input", "config", "hyperparameters.json"), `${JSON.stringify(hyperparameters, null, 2)}\n`);
    await runTraining(root, options);
  }
  const report = JSON.parse(await readFile(join(root, "output", "data", "training-report.json"), "utf8"));
  return { root, modelDir, report, cached };
}

async function runTraining(root, options) {
  // through sh: works even where the script lost its executable bit (a zip download)
  const child = spawn("/bin/sh", [TRAIN, "train"], { env: { ...process.env, BLINDML_SAGEMAKER_ROOT: root }, stdio: ["ignore", "pipe", "inherit"] });
  const started = performance.now();
  await forEachJsonLine(child.stdout, (record) => {
    if (options.verbose) say(`   ${JSON.stringify(record)}`);
    else if (record.msg === "epoch") say(`   epoch ${String(record.epoch).padStart(2)}/${record.of}  loss ${record.loss.toFixed(4)}  training accuracy ${percent(record.trainingAccuracy)}  (${fmtMs(performance.now() - started)})`);
    else if (record.msg === "compiled") say(`   compiled: parameter set ${record.parameterSet}, ${record.bootstrapsPerRow} bootstraps per image`);
  });
  const code = await new Promise((done) => child.once("exit", done));
  if (code !== 0) {
    const reason = await readFile(join(root, "output", "failure"), "utf8").catch(() => "(no failure file)");
    throw new Error(`training failed (exit ${code}): ${reason.trim()}`);
  }
  say(`   trained in ${fmtMs(performance.now() - started)}`);
}

// ---------------------------------------------------------------- 3. the endpoint

/** As SageMaker does: model.tar.gz from S3, unpacked into /opt/ml/model. */
async function deployFromS3(s3, modelUri, root) {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(modelUri);
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const { serverZip, clientZip } = await unpackModelTarball(await object.Body.transformToByteArray());
  const modelDir = join(root, "opt", "ml", "model");
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, "server.zip"), serverZip);
  await writeFile(join(modelDir, "client.zip"), clientZip);
  return { modelDir, serverZip };
}

/** container/serve as a child process; resolves once /ping answers 200. */
async function startEndpoint(stack, modelDir, port, options) {
  const env = { ...process.env, ...stack.env, SM_MODEL_DIR: modelDir, SAGEMAKER_BIND_TO_PORT: String(port), BLINDML_HOST: "127.0.0.1" };
  if (options.workers) env.BLINDML_WORKERS = String(options.workers);
  const child = spawn("/bin/sh", [SERVE, "serve"], { env, stdio: ["ignore", "pipe", "inherit"] });
  const logs = [];
  const loaded = new Promise((resolveLoaded, reject) => {
    child.once("exit", (code) => reject(new Error(`container/serve exited (code ${code}) before the model was loaded`)));
    void forEachJsonLine(child.stdout, (record) => {
      logs.push(record);
      if (options.verbose) say(`   [serve] ${JSON.stringify(record)}`);
      if (record.msg === "model loaded") resolveLoaded(record);
    });
  });
  const exited = new Promise((done) => child.once("exit", (code) => done(code)));
  const record = await loaded;
  await waitForPing(`${stack.containerUrl}/ping`);
  return { child, logs, exited, record };
}

async function waitForPing(url) {
  for (const started = Date.now(); Date.now() - started < 60_000; ) {
    if ((await fetch(url).then((r) => r.status, () => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer 200 within 60 s`);
}

// ---------------------------------------------------------------- 4. the client

/** client.zip from S3, a secret key, the evaluation keys made and uploaded once: the one-time costs. */
async function prepareClient(stack) {
  const lap = stopwatch();
  const artifactBytes = (await headObject(stack.s3Client(), parseS3Uri(stack.modelUri)))?.size ?? 0;
  const model = (await fetchModelClient(stack.s3Client(), stack.modelUri)).generateKeys();
  const clientSetupMs = lap();
  const evaluationKeys = model.evaluationKeys(); // generated here, once; the upload below sends these bytes
  const evaluationKeyGenerationMs = lap();
  const client = new SageMakerInferenceClient({
    model, s3: stack.s3Client(), runtime: stack.runtimeClient(), endpointName: ENDPOINT,
    uploadPrefix: `s3://${stack.bucket}/clients/demo`,
    // loopback HEADs are cheap: look often, so the waits below measure the endpoint, not the polling
    poll: { initialDelayMs: 50, maxDelayMs: 250, timeoutMs: 10 * 60_000 },
  });
  const { reference } = await client.ensureEvaluationKeys();
  const evaluationKeyUploadMs = lap();
  return {
    model, client, keysUri: reference.uri,
    oneTime: { clientArtifactBytes: artifactBytes, clientSetupMs, evaluationKeyBytes: evaluationKeys.length, evaluationKeyGenerationMs, evaluationKeyUploadMs, evaluationKeysUploaded: reference.uploaded },
  };
}

/** The clear (quantized, noiseless) circuit's prediction: what the encrypted run must decrypt to. */
function clearPredictor(serverZip, model) {
  const { circuit } = unpackServer(serverZip);
  return (row) => {
    const [output] = runClear(circuit, quantizeRows(model.spec.input, toDenseMatrix([row])));
    return decide(model.spec.output, dequantize(model.spec.output, output));
  };
}

/** One digit: encrypt → S3 → InvokeEndpointAsync → result → decrypt, with every stage timed. */
async function runQuery(client, endpoint, row, truth, clear) {
  const result = await client.predict([row]);
  const server = endpoint.logs.find((r) => r.msg === "invocation" && r.id === result.inferenceId)?.ms ?? {};
  const t = result.timings;
  const serverTotal = server.total ?? 0;
  return {
    truth, prediction: result.predictions[0], clear: clear(row),
    ms: {
      encrypt: t.encrypt, upload: t.upload,
      // what the client waited beyond the server's own work: runtime queue, S3 writes, polling
      queue: Math.max(0, t.invoke + t.wait - serverTotal),
      s3Read: server.fetch, keys: server.keys, evaluate: server.evaluate,
      download: t.download, decrypt: t.decrypt, total: t.total,
    },
    bytes: { query: result.bytes.query, result: result.bytes.result },
  };
}

const COLUMNS = [
  ["#", 3, (q, i) => String(i + 1)], ["truth", 5, (q) => String(q.truth)], ["FHE", 4, (q) => String(q.prediction)], ["clear", 5, (q) => String(q.clear)],
  ["encrypt", 8, (q) => fmtMs(q.ms.encrypt)], ["upload", 7, (q) => fmtMs(q.ms.upload)], ["queue", 7, (q) => fmtMs(q.ms.queue)],
  ["S3 read", 8, (q) => fmtMs(q.ms.s3Read ?? 0)], ["keys", 7, (q) => fmtMs(q.ms.keys ?? 0)], ["evaluate", 9, (q) => fmtMs(q.ms.evaluate ?? 0)],
  ["download", 9, (q) => fmtMs(q.ms.download)], ["decrypt", 8, (q) => fmtMs(q.ms.decrypt)], ["total", 8, (q) => fmtMs(q.ms.total)],
  ["query", 9, (q) => fmtBytes(q.bytes.query)], ["result", 9, (q) => fmtBytes(q.bytes.result)],
];

const tableLine = (cells) => `  ${cells.map(([text, width]) => text.padStart(width)).join("  ")}`;

// ---------------------------------------------------------------- record

async function record(e2e) {
  const { machineInfo } = await import("../bench/lib/machine.js");
  const { withEndToEndSection } = await import("../bench/lib/e2e-report.js");
  const machine = machineInfo(ROOT);
  const full = { ...e2e, machine, commit: machine.commit, node: process.version };
  const resultsFile = join(ROOT, "bench", "results", "e2e.json");
  await mkdir(dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(full, null, 2)}\n`);
  const markdownFile = join(ROOT, "BENCHMARKS.md");
  const markdown = await readFile(markdownFile, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(markdownFile, withEndToEndSection(markdown, full));
  say(`Recorded: ${relative(process.cwd(), resultsFile)} and the "End-to-end (local stack)" section of BENCHMARKS.md.`);
}

// ---------------------------------------------------------------- helpers

/** One held-out digit of each label (after the training digits), for the web page's buttons. */
function webSamples() {
  const { rows, targets } = loadMnist(MNIST_TRAIN_ROWS, 100).test;
  return Array.from({ length: 10 }, (_, label) => targets.indexOf(label)).filter((i) => i >= 0).map((i) => ({ label: targets[i], row: Array.from(rows[i]) }));
}

function untilInterrupted() {
  return new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

async function forEachJsonLine(stream, onRecord) {
  let buffered = "";
  for await (const chunk of stream.setEncoding("utf8")) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!line.startsWith("{")) continue;
      try {
        onRecord(JSON.parse(line));
      } catch {
        // not a log record
      }
    }
  }
}

/** Numbers to 0.1 (milliseconds to 0.1 ms: the precision that means anything here). */
function roundAll(record) {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === "number" ? Math.round(v * 10) / 10 : v]));
}

const exists = (path) => stat(path).then(() => true, () => false);

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

function stopwatch() {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = now - last;
    last = now;
    return elapsed;
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    say("npm run demo [-- --images N] [--quick] [--record] [--retrain] [--cache-dir DIR] [--workers N] [--verbose] [--web] [--web-port N]");
    return;
  }
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), "blindml-demo-"));
  const machineLoad = loadavg()[0]; // other work on the machine slows every figure below
  const cleanups = [() => rm(work, { recursive: true, force: true })]; // run last to first
  try {
    say("blindml demo — encrypted MNIST inference through the SageMaker flow, all on this machine");
    say();
    say("1. Model (training job)");
    const trained = await trainedModel(options);
    const r = trained.report;
    say(`   MLPClassifier 784 → ${hyperparametersFor(options).hidden} → 10: held-out accuracy float ${percent(r.float)}, quantized circuit ${percent(r.quantized)} (${r.testRows.toLocaleString("en-US")} digits)`);
    say(`   parameter set ${r.parameterSet}, ${r.bootstrapsPerRow} bootstraps per image`);

    say("2. Local stack");
    const port = await freePort();
    const web = options.web ? { port: options.webPort, modelUri: `s3://${DEFAULT_BUCKET}/models/${ENDPOINT}/model.tar.gz`, samples: webSamples() } : undefined;
    const stack = await startLocalStack({ containerUrl: `http://127.0.0.1:${port}`, endpointName: ENDPOINT, s3Directory: join(work, "s3"), web });
    cleanups.push(() => stack.close());
    const modelUri = await uploadModel(stack.s3Client(), trained.modelDir, `s3://${stack.bucket}/models/${ENDPOINT}/model.tar.gz`);
    const stackWithModel = { ...stack, modelUri };
    say(`   S3 ${stack.s3.endpoint} (s3rver), SageMaker runtime ${stack.runtime.url}, endpoint "${ENDPOINT}"`);
    say(`   model.tar.gz → ${modelUri}`);

    say("3. Endpoint (container/serve)");
    const deployed = await deployFromS3(stack.s3Client(), modelUri, work);
    const loadStarted = performance.now();
    const endpoint = await startEndpoint(stack, deployed.modelDir, port, options);
    cleanups.push(async () => {
      if (endpoint.child.exitCode === null) endpoint.child.kill("SIGTERM"); // drains, exits 0
      await endpoint.exited;
    });
    say(`   ${stack.containerUrl}: /ping 200 after ${fmtMs(performance.now() - loadStarted)} (model.tar.gz unpacked into ${deployed.modelDir})`);

    say("4. Client (SageMakerInferenceClient)");
    const prepared = await prepareClient(stackWithModel);
    const o = prepared.oneTime;
    say(`   client.zip from S3 (model.tar.gz ${fmtBytes(o.clientArtifactBytes)}) and a secret key: ${fmtMs(o.clientSetupMs)}`);
    say(`   evaluation keys: ${fmtBytes(o.evaluationKeyBytes)}, generated in ${fmtMs(o.evaluationKeyGenerationMs)}, uploaded once in ${fmtMs(o.evaluationKeyUploadMs)} → ${prepared.keysUri}`);
    say();

    const digits = loadMnist(MNIST_TRAIN_ROWS, options.images).test;
    const clear = clearPredictor(deployed.serverZip, prepared.model);
    say(`${options.images} held-out digit${options.images === 1 ? "" : "s"}, one InvokeEndpointAsync each (times per stage; S3 read, keys and evaluate are the server's):`);
    say(tableLine(COLUMNS.map(([title, width]) => [title, width])));
    const queries = [];
    for (let i = 0; i < digits.rows.length; i++) {
      const query = await runQuery(prepared.client, endpoint, digits.rows[i], digits.targets[i], clear);
      queries.push(query);
      say(tableLine(COLUMNS.map(([, width, cell]) => [cell(query, i), width])));
    }
    const correct = queries.filter((q) => q.prediction === q.truth).length;
    const asClear = queries.filter((q) => q.prediction === q.clear).length;
    say();
    say(`${correct}/${queries.length} correct; the encrypted result equals the clear circuit's on ${asClear}/${queries.length}.`);
    say(`Median per digit: total ${fmtMs(median(queries.map((q) => q.ms.total)))}, of which the server evaluated ${fmtMs(median(queries.map((q) => q.ms.evaluate ?? 0)))}; ` +
      `the first query also paid the server's key expansion (${fmtMs(queries[0].ms.keys ?? 0)}), later ones hit its cache.`);
    say(`One-time cost per client key: ${fmtBytes(o.evaluationKeyBytes)} of evaluation keys, generated in ${fmtMs(o.evaluationKeyGenerationMs)} and uploaded in ${fmtMs(o.evaluationKeyUploadMs)}.`);

    if (options.record) {
      await record({
        date: new Date().toISOString(),
        loadAverageAtStart: Math.round(machineLoad * 100) / 100,
        quiet: machineLoad < 0.5,
        config: { hyperparameters: hyperparametersFor(options), images: options.images, workers: options.workers ?? availableParallelism(), cached: trained.cached },
        model: { architecture: `784 → ${hyperparametersFor(options).hidden} → 10`, parameterSet: r.parameterSet, bootstrapsPerRow: r.bootstrapsPerRow, heldOut: { rows: r.testRows, float: r.float, quantized: r.quantized } },
        oneTime: roundAll({ ...o, serverKeyExpansionMs: queries[0].ms.keys }),
        queries: queries.map((q) => ({ ...q, ms: roundAll(q.ms) })),
        wallMs: Math.round(performance.now() - started),
      });
    }
    prepared.model.free();
    if (stack.webUrl) {
      say();
      say(`The web example: open ${stack.webUrl} in a browser (keys are made in the page; draw a digit or pick a held-out one). Ctrl-C stops.`);
      await untilInterrupted();
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => process.stderr.write(`cleanup: ${e.message}\n`));
  }
  say(`Done in ${fmtMs(performance.now() - started)}.`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`demo failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
