// The web example's server side, without a browser: the static app (files by name only, CSP,
// /config.json) and the CORS rules of local S3 and the local SageMaker runtime for the page's
// origin — and for no other origin.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createWebApp, startLocalStack } from "blindml/server";
import { startLocalS3, createRuntime, parseRuntimeConfig } from "blindml/local";

const PAGE = "http://127.0.0.1:8000";
const OTHER = "http://evil.example";

test("the web app serves the page, the bundles and /config.json once the stack is up", async () => {
  let config;
  const app = createWebApp({ config: () => config });
  const early = await app.request("/config.json");
  assert.is(early.status, 503);
  config = { region: "us-east-1", s3Endpoint: "http://127.0.0.1:4569", runtimeEndpoint: "http://127.0.0.1:4570", modelUri: "s3://b/m.tar.gz" };
  const ready = await app.request("/config.json");
  assert.is(ready.status, 200);
  assert.is((await ready.json()).modelUri, "s3://b/m.tar.gz");
  const csp = ready.headers.get("content-security-policy");
  assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:4569 http:\/\/127\.0\.0\.1:4570;/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);

  const page = await app.request("/");
  assert.is(page.status, 200);
  assert.match(page.headers.get("content-type"), /text\/html/);
  assert.match(await page.text(), /<script type="module" src="app.js">/);
  const worker = await app.request("/blindml/client-worker.js");
  assert.is(worker.status, 200);
  assert.match(worker.headers.get("content-type"), /javascript/);
  const wasm = await app.request("/blindml/blindml.wasm");
  assert.is(wasm.headers.get("content-type"), "application/wasm");
  assert.equal(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4), new Uint8Array([0, 0x61, 0x73, 0x6d]));
});

test("the web app serves nothing outside its two folders", async () => {
  const dir = await mkdtemp(join(tmpdir(), "blindml-web-"));
  try {
    await writeFile(join(dir, "index.html"), "<p>page</p>");
    await writeFile(join(dir, ".secret.js"), "secret");
    await writeFile(join(dir, "notes.txt"), "notes");
    const app = createWebApp({ pageDir: dir, bundleDir: dir, config: () => undefined });
    assert.is((await app.request("/")).status, 200);
    for (const path of ["/.secret.js", "/notes.txt", "/..%2Fpackage.json", "/blindml/..%2F..%2Fpackage.json", "/%2e%2e/package.json", "/blindml/missing.js"]) {
      const res = await app.request(path);
      assert.is(res.status, 404, path);
      assert.not.match(await res.text(), /"name": "blindml"/, path);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("local S3 answers CORS for the page's origin only", async () => {
  const s3 = await startLocalS3({ buckets: ["b"], corsOrigins: [PAGE] });
  try {
    await s3.client().send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "hello" }));
    const preflight = (origin) => fetch(`${s3.endpoint}/b/k`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization,x-amz-date,x-amz-content-sha256" } });
    const allowed = await preflight(PAGE);
    assert.is(allowed.status, 200);
    assert.ok(allowed.headers.get("access-control-allow-origin"));
    assert.match(allowed.headers.get("access-control-allow-methods"), /PUT/);
    assert.match(allowed.headers.get("access-control-allow-headers"), /authorization/);
    assert.is((await preflight(OTHER)).status, 403);
  } finally {
    await s3.close();
  }
});

test("local S3 without corsOrigins refuses every preflight", async () => {
  const s3 = await startLocalS3({ buckets: ["b"] });
  try {
    const res = await fetch(`${s3.endpoint}/b/k`, { method: "OPTIONS", headers: { Origin: PAGE, "Access-Control-Request-Method": "GET" } });
    assert.is(res.status, 403);
  } finally {
    await s3.close();
  }
});

test("the local runtime answers CORS for the page's origin and exposes the location headers", async () => {
  const config = parseRuntimeConfig({ endpoints: { e: { containerUrl: "http://127.0.0.1:9", outputPath: "s3://bucket/out", failurePath: "s3://bucket/fail" } } });
  const { app } = createRuntime({ config, s3: undefined, corsOrigins: [PAGE] });
  const preflight = (origin) => app.request("/endpoints/e/async-invocations", { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amzn-sagemaker-inputlocation,authorization" } });
  const allowed = await preflight(PAGE);
  assert.is(allowed.status, 204);
  assert.is(allowed.headers.get("access-control-allow-origin"), PAGE);
  assert.match(allowed.headers.get("access-control-allow-headers"), /x-amzn-sagemaker-inputlocation/);
  assert.is((await preflight(OTHER)).headers.get("access-control-allow-origin"), null);
  // a real (failing) request from the page still carries the CORS headers, so the SDK can read the error
  const res = await app.request("/endpoints/nope/async-invocations", { method: "POST", headers: { Origin: PAGE } });
  assert.is(res.status, 400);
  assert.is(res.headers.get("access-control-allow-origin"), PAGE);
  assert.match(res.headers.get("access-control-expose-headers"), /X-Amzn-SageMaker-OutputLocation/i);
});

test("the local runtime sends no CORS headers unless asked to", async () => {
  const config = parseRuntimeConfig({ endpoints: {} });
  const { app } = createRuntime({ config, s3: undefined });
  const res = await app.request("/endpoints/e/async-invocations", { method: "OPTIONS", headers: { Origin: PAGE, "Access-Control-Request-Method": "POST" } });
  assert.is(res.headers.get("access-control-allow-origin"), null);
});

test("the web example is refused on a non-loopback address", async () => {
  try {
    await startLocalStack({ modelDir: "/nonexistent", host: "0.0.0.0", web: {} });
    assert.unreachable("started");
  } catch (e) {
    assert.match(e.message, /loopback only/);
  }
});

test.run();
