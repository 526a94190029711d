// The web example: key generation, an encrypted query through S3 and the SageMaker runtime, and
// the decrypted prediction — the secret key never leaves this browser. Served by
// `blindml local --web` (or `npm run demo -- --web`), which also serves /config.json for it.
import { BrowserInferenceClient } from "/blindml/blindml.js";

const $ = (id) => document.getElementById(id);
const SIDE = 28; // MNIST digits are 28 × 28, the ink fitted in the middle 20 × 20
// the client reports each stage as it ends ("wait": after each look for the result object)
const STAGE_NAMES = { keys: "evaluation keys", encrypt: "encrypted", upload: "query uploaded", invoke: "endpoint invoked", wait: "waiting for the result", download: "result downloaded", done: "decrypted" };

let client;
let currentRow = null; // a picked sample's exact pixels; null: read the drawing

startClock();
main().catch(showError);

async function main() {
  const config = await (await fetch("/config.json")).json();
  if (config.error) throw new Error(config.error);
  client = await BrowserInferenceClient.open({ ...config, wasmUrl: "/blindml/blindml.wasm", workerUrl: "/blindml/client-worker.js" });
  const m = client.model;
  $("model-status").textContent = `${m.task} over ${m.features} features · parameter set ${m.parameterSet} · circuit ${m.circuitId}` +
    (m.needsEvaluationKeys ? " · bootstrapped (needs evaluation keys)" : " · leveled (no evaluation keys)");
  $("model-status").dataset.ready = "true";
  setUpInput(m.features, config.samples ?? []);
  $("keys-button").disabled = false;
  $("keys-button").onclick = () => makeKeys(false).catch(showError);
  $("forget-button").onclick = () => forgetKeys().catch(showError);
  $("export-button").onclick = () => exportKeys().catch(showError);
  $("import-file").onchange = () => importKeys($("import-file").files[0]).catch(showError);
  $("predict-button").onclick = () => predict().catch(showError);
}

// ---------------------------------------------------------------- keys

async function makeKeys(regenerate) {
  $("keys-button").disabled = true;
  $("predict-button").disabled = true;
  const status = $("keys-status");
  const started = performance.now();
  const stageText = { load: "looking for stored keys", "secret-key": "drawing the secret key", "evaluation-keys": "generating the evaluation keys", store: "storing the keys in IndexedDB" };
  try {
    const ready = await client.keys({ regenerate, onProgress: (p) => (status.textContent = `${stageText[p.stage]}… (${seconds(performance.now() - started)})`) });
    status.textContent = `Keys ready (${ready.source === "stored" ? "loaded from this browser" : `generated in ${seconds(ready.ms)}`}) · parameter set ${ready.parameterSet} · evaluation keys ${mib(ready.evaluationKeyBytes)}` +
      (ready.persisted ? "" : " · not stored (this browser refused; they last until you leave the page)");
    status.dataset.ready = "true";
    $("keys-button").textContent = "New keys";
    $("keys-button").onclick = () => makeKeys(true).catch(showError);
    $("forget-button").disabled = false;
    $("export-button").disabled = false;
  } catch (e) {
    status.textContent = "No keys: see the error below.";
    delete status.dataset.ready;
    throw e;
  } finally {
    $("keys-button").disabled = false;
    $("predict-button").disabled = !status.dataset.ready;
  }
}

async function forgetKeys() {
  await client.forgetKeys();
  $("keys-status").textContent = "Keys wiped from this browser.";
  delete $("keys-status").dataset.ready;
  $("keys-button").textContent = "Generate keys";
  $("keys-button").onclick = () => makeKeys(false).catch(showError);
  $("forget-button").disabled = true;
  $("export-button").disabled = true;
  $("predict-button").disabled = true;
}

// An exported key file: "BLMLKEYS", the client key's length (u32, little-endian), the client key,
// then the evaluation keys (each in blindml's own versioned binary format). It holds the SECRET key.
const KEY_FILE_MAGIC = new TextEncoder().encode("BLMLKEYS");

async function exportKeys() {
  const { clientKey, evaluationKeys } = await client.exportKeys();
  const file = new Uint8Array(KEY_FILE_MAGIC.length + 4 + clientKey.length + evaluationKeys.length);
  file.set(KEY_FILE_MAGIC);
  new DataView(file.buffer).setUint32(KEY_FILE_MAGIC.length, clientKey.length, true);
  file.set(clientKey, KEY_FILE_MAGIC.length + 4);
  file.set(evaluationKeys, KEY_FILE_MAGIC.length + 4 + clientKey.length);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([file], { type: "application/octet-stream" }));
  link.download = `${client.model.circuitId}.blindml-keys`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function importKeys(fileObject) {
  if (!fileObject) return;
  const bytes = new Uint8Array(await fileObject.arrayBuffer());
  $("import-file").value = "";
  const head = KEY_FILE_MAGIC.length + 4;
  const magicOk = bytes.length >= head && KEY_FILE_MAGIC.every((b, i) => bytes[i] === b);
  const clientKeyLength = magicOk ? new DataView(bytes.buffer).getUint32(KEY_FILE_MAGIC.length, true) : -1;
  if (!magicOk || clientKeyLength <= 0 || head + clientKeyLength > bytes.length) throw new Error(`${fileObject.name} is not a blindml key file.`);
  const ready = await client.importKeys({ clientKey: bytes.slice(head, head + clientKeyLength), evaluationKeys: bytes.slice(head + clientKeyLength) });
  const status = $("keys-status");
  status.textContent = `Keys ready (imported from ${fileObject.name}) · parameter set ${ready.parameterSet} · evaluation keys ${mib(ready.evaluationKeyBytes)}`;
  status.dataset.ready = "true";
  $("error").hidden = true;
  $("keys-button").textContent = "New keys";
  $("keys-button").onclick = () => makeKeys(true).catch(showError);
  $("forget-button").disabled = false;
  $("export-button").disabled = false;
  $("predict-button").disabled = false;
}

// ---------------------------------------------------------------- prediction

async function predict() {
  const row = readRow();
  $("predict-button").disabled = true;
  $("error").hidden = true;
  $("prediction").textContent = "…";
  delete $("prediction").dataset.done;
  $("probabilities").replaceChildren();
  const stages = $("stages");
  stages.replaceChildren();
  window.lastQueryRow = row; // for the browser test: the exact row that was encrypted
  try {
    const result = await client.predict([row], {
      onProgress: (event) => {
        if (!STAGE_NAMES[event.stage]) return;
        const extra = event.stage === "keys" ? ` (${event.detail})` : event.stage === "wait" ? ` (look ${event.detail})` : event.bytes ? ` (${mib(event.bytes)})` : "";
        const last = stages.lastElementChild;
        const item = last?.dataset.stage === event.stage && event.stage === "wait" ? last : document.createElement("li");
        item.dataset.stage = event.stage;
        item.textContent = `${STAGE_NAMES[event.stage]}${extra} at ${seconds(event.elapsedMs)}`;
        stages.append(item);
      },
    });
    $("prediction").textContent = String(result.predictions[0]);
    $("prediction").dataset.done = "true";
    if (result.probabilities) showProbabilities(client.model.classes ?? [], result.probabilities[0]);
    const item = document.createElement("li");
    item.textContent = `total ${seconds(result.timings.total)} · query ${mib(result.bytes.query)}, result ${mib(result.bytes.result)}`;
    stages.append(item);
  } finally {
    $("predict-button").disabled = false;
  }
}

function showProbabilities(classes, probs) {
  const bars = $("probabilities");
  probs.forEach((p, i) => {
    const label = document.createElement("span");
    label.textContent = String(classes[i] ?? i);
    const bar = document.createElement("div");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${(p * 100).toFixed(1)}%`;
    bar.append(fill);
    const value = document.createElement("span");
    value.textContent = `${(p * 100).toFixed(1)} %`;
    bars.append(label, bar, value);
  });
}

// ---------------------------------------------------------------- input

function setUpInput(features, samples) {
  if (features === SIDE * SIDE) {
    $("digit-input").hidden = false;
    setUpPad();
    for (const sample of samples) $("samples").append(sampleButton(sample));
  } else {
    $("table-input").hidden = false;
    $("feature-count").textContent = String(features);
    if (samples[0]) $("values").value = samples[0].row.join(", ");
  }
}

function readRow() {
  const features = client.model.features;
  if (features !== SIDE * SIDE) {
    const values = $("values").value.split(/[\s,;]+/).filter(Boolean).map(Number);
    if (values.length !== features || values.some((v) => !Number.isFinite(v))) throw new Error(`Enter exactly ${features} numbers (got ${values.length}).`);
    return values;
  }
  const row = currentRow ?? digitFromPad($("pad"));
  if (!row.some((v) => v > 0)) throw new Error("Draw a digit first.");
  return Array.from(row);
}

function setUpPad() {
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  clearPad(ctx);
  let drawing = false;
  const point = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  };
  pad.addEventListener("pointerdown", (e) => {
    drawing = true;
    if (currentRow) clearPad(ctx); // a sample was shown: start a fresh drawing
    currentRow = null;
    ctx.beginPath();
    ctx.moveTo(...point(e));
    pad.setPointerCapture(e.pointerId);
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    ctx.lineTo(...point(e));
    ctx.stroke();
  });
  pad.addEventListener("pointerup", () => (drawing = false));
  $("clear-button").onclick = () => {
    currentRow = null;
    clearPad(ctx);
  };
}

function clearPad(ctx) {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 22;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
}

function sampleButton(sample) {
  const button = document.createElement("button");
  button.title = `held-out digit (label ${sample.label})`;
  button.dataset.testid = "sample";
  button.dataset.label = String(sample.label);
  const thumb = document.createElement("canvas");
  thumb.width = thumb.height = SIDE;
  paintDigit(thumb, sample.row);
  button.append(thumb);
  button.onclick = () => {
    paintDigit($("pad"), sample.row);
    currentRow = Float64Array.from(sample.row);
  };
  return button;
}

/** Paints a 28 × 28 row (0 … 1) onto a canvas of any size. */
function paintDigit(canvas, row) {
  const small = new OffscreenCanvas(SIDE, SIDE);
  const image = new ImageData(SIDE, SIDE);
  row.forEach((v, i) => {
    const g = Math.round(Math.min(1, Math.max(0, v)) * 255);
    image.data.set([g, g, g, 255], i * 4);
  });
  small.getContext("2d").putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

/**
 * The drawing as MNIST prepares its digits: the ink's bounding box scaled (keeping its aspect)
 * into 20 × 20, then placed in 28 × 28 with its centre of mass at the centre.
 */
function digitFromPad(pad) {
  const { width, height } = pad;
  const ink = pad.getContext("2d").getImageData(0, 0, width, height).data;
  let top = height, left = width, bottom = -1, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[(y * width + x) * 4] > 32) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return new Float64Array(SIDE * SIDE);
  const w = right - left + 1, h = bottom - top + 1;
  const scale = 20 / Math.max(w, h);
  const box = new OffscreenCanvas(SIDE, SIDE);
  const bctx = box.getContext("2d");
  bctx.fillStyle = "#000";
  bctx.fillRect(0, 0, SIDE, SIDE);
  bctx.imageSmoothingQuality = "high";
  bctx.drawImage(pad, left, top, w, h, 0, 0, Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale)));
  const boxed = bctx.getImageData(0, 0, SIDE, SIDE).data;
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = boxed[i * 4] / 255;
    mass += v; mx += v * (i % SIDE); my += v * Math.floor(i / SIDE);
  }
  const dx = Math.round(SIDE / 2 - 0.5 - mx / mass), dy = Math.round(SIDE / 2 - 0.5 - my / mass);
  const row = new Float64Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const sx = x - dx, sy = y - dy;
      if (sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE) row[y * SIDE + x] = boxed[(sy * SIDE + sx) * 4] / 255;
    }
  }
  return row;
}

// ---------------------------------------------------------------- little helpers

function startClock() {
  const started = performance.now();
  setInterval(() => ($("clock").textContent = seconds(performance.now() - started)), 100);
}

function showError(error) {
  const box = $("error");
  box.hidden = false;
  box.textContent = `${error.remoteName ?? error.name}: ${error.message}`;
  $("prediction").textContent = "–";
  if (client) $("predict-button").disabled = !$("keys-status").dataset.ready;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
