// The web example in a real browser: Debian's Chromium, headless, driven through playwright-core.
// A small MNIST model is served by the local stack with the page (startLocalStack's web option);
// the page generates keys in its Web Worker, encrypts a held-out digit, sends it through S3 and
// the local SageMaker runtime, and shows the decrypted prediction, which must be the digit's label
// and the clear model's answer. A drawn digit goes the same way and must match the clear model on
// the exact pixels the page encrypted. Screenshots go to test/artifacts/.
// Chromium comes from Debian (`scripts/install-test-deps.js`, run before the tests).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { DecisionTreeClassifier, MLPClassifier, toDenseMatrix } from "blindml";
import { saveModel } from "blindml/node";
import { startLocalStack } from "blindml/server";
import { loadMnist, readSharedDataset } from "../bench/lib/datasets.js";

const CHROMIUM = process.env.BLINDML_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

const work = await mkdtemp(join(tmpdir(), "blindml-browser-"));
const { train, test: heldOut } = loadMnist({ train: 2000, test: 200 });
// small and quick: 784 → 24 → 10, 34 bootstraps a query
const model = new MLPClassifier({ hidden: [24], epochs: 6, seed: 3, standardize: false }).fit(train.X, train.y).compile(train.X);
await saveModel(model, join(work, "model"));
const clear = model.predict(heldOut.X);
const rowOf = (i) => Array.from(heldOut.X.data.subarray(i * 784, (i + 1) * 784));
// samples the page offers: held-out digits the clear model gets right
const samples = [];
for (let i = 0; i < heldOut.y.length && samples.length < 4; i++) if (clear[i] === heldOut.y[i] && !samples.some((s) => s.label === heldOut.y[i])) samples.push({ label: heldOut.y[i], row: rowOf(i) });

let stack, browser, page;
const consoleLines = [];

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`node scripts/install-test-deps.js\` (apt-get install chromium) or set BLINDML_CHROMIUM.`);
  await mkdir(ARTIFACTS, { recursive: true });
  stack = await startLocalStack({ modelDir: join(work, "model"), workers: 1, web: { samples } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 900, height: 1500 } });
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
});

test.after(async () => {
  // each step even if an earlier one fails: no browser, server or folder left behind
  const steps = [() => browser?.close(), () => stack?.close(), () => rm(work, { recursive: true, force: true })];
  for (const step of steps) await Promise.resolve().then(step).catch((e) => process.stderr.write(`browser test cleanup: ${e.message}\n`));
});

async function expectText(testId, pattern, timeout = 120_000) {
  try {
    await page.getByTestId(testId).filter({ hasText: pattern }).waitFor({ timeout });
  } catch (e) {
    const error = await page.getByTestId("error").textContent().catch(() => "");
    throw new Error(`${testId} never showed ${pattern}; page error: "${error}"; console:\n${consoleLines.join("\n")}\n${e.message}`);
  }
}

test("the page loads the model's client from S3 and the engine in its worker", async () => {
  await page.goto(stack.webUrl);
  await expectText("model-status", /parameter set \w+ · circuit [0-9a-f]{16}/);
  assert.match(await page.getByTestId("model-status").textContent(), /over 784 features/);
  assert.is(await page.getByTestId("sample").count(), samples.length);
});

test("keys are generated in the worker while the page stays responsive", async () => {
  assert.ok(page.workers().some((w) => w.url().endsWith("/blindml/client-worker.js")), "the client runs in its Web Worker");
  // count 10 ms timer ticks on the page's main thread while the keys are made: a page that
  // generated them itself would stall its timers for most of that time
  await page.evaluate(() => {
    window.ticks = 0;
    window.ticker = setInterval(() => window.ticks++, 10);
  });
  const started = Date.now();
  await page.getByTestId("keys-button").click();
  await expectText("keys-status", /Keys ready \(generated in [\d.]+ s\) · parameter set \w+ · evaluation keys [\d.]+ MiB/);
  const elapsed = Date.now() - started;
  const ticks = await page.evaluate(() => (clearInterval(window.ticker), window.ticks));
  assert.ok(ticks >= 0.3 * (elapsed / 10), `${ticks} timer ticks in ${elapsed} ms: the main thread was blocked`);
});

test("a held-out digit, encrypted in the page, comes back decrypted as its label", async () => {
  const sample = samples[0];
  await page.locator(`[data-testid=sample][data-label="${sample.label}"]`).click();
  await page.getByTestId("predict-button").click();
  await page.locator("[data-testid=prediction][data-done=true]").waitFor({ timeout: 180_000 }).catch(async (e) => {
    throw new Error(`no prediction: ${await page.getByTestId("error").textContent()}; console:\n${consoleLines.join("\n")}\n${e.message}`);
  });
  assert.is(Number(await page.getByTestId("prediction").textContent()), sample.label);
  const stages = await page.getByTestId("stages").textContent();
  assert.match(stages, /evaluation keys \(uploaded\)/);
  assert.match(stages, /decrypted/);
  // the evaluation keys and the query really went through S3
  const objects = await listKeys(stack, "clients/web/");
  assert.ok(objects.some((k) => /evaluation-keys\/[0-9a-f]{64}\.bin$/.test(k)), objects.join(", "));
  assert.ok(objects.some((k) => /queries\//.test(k)), objects.join(", "));
  await page.screenshot({ path: join(ARTIFACTS, "browser-mnist.png"), fullPage: true });
});

test("a drawn digit gets the clear model's answer on the exact pixels the page encrypted", async () => {
  await page.evaluate(() => (window.lastQueryRow = undefined));
  const pad = await page.getByTestId("pad").boundingBox();
  // a "7": a top bar and a diagonal
  const at = (x, y) => [pad.x + (x * pad.width) / 280, pad.y + (y * pad.height) / 280];
  await page.mouse.move(...at(70, 60));
  await page.mouse.down();
  for (const [x, y] of [[140, 60], [210, 60], [180, 140], [150, 220]]) await page.mouse.move(...at(x, y), { steps: 8 });
  await page.mouse.up();
  await page.getByTestId("predict-button").click();
  await page.locator("[data-testid=prediction][data-done=true]").waitFor({ timeout: 180_000 });
  const row = await page.evaluate(() => window.lastQueryRow);
  assert.is(row.length, 784);
  assert.ok(row.filter((v) => v > 0.5).length > 20, "the drawing reached the model");
  assert.ok(row.some((v, i) => v !== samples[0].row[i]), "the drawing, not the sample shown before, was encrypted");
  const expected = model.predict(toDenseMatrix([row]))[0];
  assert.is(Number(await page.getByTestId("prediction").textContent()), expected);
  await page.screenshot({ path: join(ARTIFACTS, "browser-drawn.png"), fullPage: true });
});

test("stored keys are reused after a reload (IndexedDB), and a bad input is a clear error", async () => {
  await page.reload();
  await expectText("model-status", /circuit [0-9a-f]{16}/);
  await page.getByTestId("keys-button").click();
  await expectText("keys-status", /Keys ready \(loaded from this browser\)/);
  await page.getByTestId("predict-button").click(); // an empty pad
  await expectText("error", /Draw a digit first/);
});

test("a damaged stored key is replaced by new keys, not a dead end", async () => {
  const circuit = (await page.getByTestId("model-status").textContent()).match(/circuit ([0-9a-f]{16})/)[1];
  const parameterSet = (await page.getByTestId("model-status").textContent()).match(/parameter set (\w+)/)[1];
  await page.evaluate(({ circuit, parameterSet }) => new Promise((resolve, reject) => {
    const open = indexedDB.open("blindml", 1);
    open.onsuccess = () => {
      const tx = open.result.transaction("keys", "readwrite");
      tx.objectStore("keys").put({ version: 1, parameterSet, clientKey: new Uint8Array([1, 2, 3]), evaluationKeys: new Uint8Array([4]), savedAt: "" }, circuit);
      tx.oncomplete = () => (open.result.close(), resolve());
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  }), { circuit, parameterSet });
  await page.reload();
  await expectText("model-status", /circuit [0-9a-f]{16}/);
  await page.getByTestId("keys-button").click();
  await expectText("keys-status", /Keys ready \(generated in/);
  assert.ok(await page.getByTestId("error").isHidden());
});

test("exported keys come back: forget, import the file, and the same evaluation keys are reused", async () => {
  // one query first, so that these keys' evaluation keys are in S3
  await page.locator(`[data-testid=sample][data-label="${samples[0].label}"]`).click();
  await page.getByTestId("predict-button").click();
  await page.locator("[data-testid=prediction][data-done=true]").waitFor({ timeout: 180_000 });
  assert.match(await page.getByTestId("stages").textContent(), /evaluation keys \(uploaded\)/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-button").click()]);
  const file = join(work, "keys.blindml-keys");
  await download.saveAs(file);
  const bytes = await readFile(file);
  assert.is(bytes.subarray(0, 8).toString("latin1"), "BLMLKEYS");
  await page.getByTestId("forget-button").click();
  await expectText("keys-status", /Keys wiped/);
  assert.ok(await page.getByTestId("predict-button").isDisabled());
  await writeFile(join(work, "junk.blindml-keys"), "not keys");
  await page.getByTestId("import-file").setInputFiles(join(work, "junk.blindml-keys"));
  await expectText("error", /junk\.blindml-keys is not a blindml key file/);
  await page.getByTestId("import-file").setInputFiles(file);
  await expectText("keys-status", /Keys ready \(imported from keys\.blindml-keys\)/);
  const sample = samples[1];
  await page.locator(`[data-testid=sample][data-label="${sample.label}"]`).click();
  await page.getByTestId("predict-button").click();
  await page.locator("[data-testid=prediction][data-done=true]").waitFor({ timeout: 180_000 });
  assert.is(Number(await page.getByTestId("prediction").textContent()), sample.label);
  assert.match(await page.getByTestId("stages").textContent(), /evaluation keys \(reused\)/);
});

test("a tabular model: the page's form, a clear error for a wrong row, then the clear model's answer", async () => {
  const cancer = readSharedDataset("breast_cancer");
  const tree = new DecisionTreeClassifier({ maxDepth: 3 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  await saveModel(tree, join(work, "tree"));
  const cols = cancer.test.X.cols;
  const row = Array.from(cancer.test.X.data.subarray(0, cols));
  const tabular = await startLocalStack({ modelDir: join(work, "tree"), workers: 1, web: { samples: [{ label: cancer.test.y[0], row }] } });
  const other = await browser.newPage();
  try {
    await other.goto(tabular.webUrl);
    await other.getByTestId("model-status").filter({ hasText: new RegExp(`over ${cols} features`) }).waitFor({ timeout: 60_000 });
    assert.is(await other.getByTestId("values").inputValue(), row.join(", "));
    await other.getByTestId("keys-button").click();
    await other.getByTestId("keys-status").filter({ hasText: /Keys ready/ }).waitFor({ timeout: 60_000 });
    await other.getByTestId("values").fill("1, 2, 3");
    await other.getByTestId("predict-button").click();
    await other.getByTestId("error").filter({ hasText: new RegExp(`Enter exactly ${cols} numbers \\(got 3\\)`) }).waitFor({ timeout: 10_000 });
    await other.getByTestId("values").fill(row.join(", "));
    await other.getByTestId("predict-button").click();
    await other.locator("[data-testid=prediction][data-done=true]").waitFor({ timeout: 120_000 });
    assert.is(Number(await other.getByTestId("prediction").textContent()), tree.predict(toDenseMatrix([row]))[0]);
    assert.ok(await other.getByTestId("error").isHidden(), "the earlier error is cleared");
  } finally {
    await other.close();
    await tabular.close();
    tree.free?.();
  }
});

async function listKeys(stack, prefix) {
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const listed = await stack.s3Client().send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key);
}

test.run();
