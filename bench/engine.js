// Our engine's section: keys, client operations, keyswitch / PBS, sizes and memory per set.
// Runs unchanged in Node (bench/benchmark.js) and, bundled by bench/browser.js, in Chromium: keep
// it free of Node-only APIs (the engine can be injected as `api`).
import { measure, micro, perItem } from "./lib/stats.js";

const LIST_LEN = 64;

/** Sample counts per set: fast = per-ciphertext operations, keygen = key generation/expansion. */
const PLAN = {
  "1_1": { fast: 30, keygen: 20, warmup: 2, keygenWarmup: 1 },
  "2_2": { fast: 30, keygen: 20, warmup: 2, keygenWarmup: 1 },
  "3_3": { fast: 10, keygen: 5, warmup: 1, keygenWarmup: 0 },
  "2_2_KS32": { fast: 30, keygen: 20, warmup: 2, keygenWarmup: 1 },
  "2_2_L2": { fast: 30, keygen: 10, warmup: 2, keygenWarmup: 1 },
};
const QUICK = {
  "1_1": { fast: 5, keygen: 3, warmup: 1, keygenWarmup: 0 },
  "2_2": { fast: 5, keygen: 3, warmup: 1, keygenWarmup: 0 },
  "3_3": { fast: 3, keygen: 2, warmup: 1, keygenWarmup: 0 },
};

/** Imports the engine; returns { api } or { skipped: reason } without throwing. */
export async function importEngine() {
  let mod;
  try {
    mod = await import("blindml/engine");
  } catch (err) {
    return {
      skipped: `cannot import "blindml/engine" (${err.code ?? err.message}); build it with ` +
        "`npm run build` (or `npx tsc -p tsconfig.json` after the wasm build)",
    };
  }
  if (typeof mod.loadEngine !== "function" || typeof mod.PARAMETER_SETS !== "object" || !mod.PARAMETER_SETS) {
    return { skipped: '"blindml/engine" does not export loadEngine and PARAMETER_SETS yet' };
  }
  return { api: mod };
}

function messageSpace(params) {
  return { msgMod: params.messageModulus, space: params.messageModulus * params.carryModulus };
}

/** The process's RSS in Node and Deno; null where there is no such figure (a browser page). */
function residentSetBytes() {
  const proc = globalThis.process;
  return typeof proc?.memoryUsage === "function" ? proc.memoryUsage().rss : null;
}

function free(x) {
  if (x && typeof x.free === "function") x.free();
}

async function runSet(engine, api, set, { quick, runtime, log }) {
  const started = performance.now();
  const params = api.PARAMETER_SETS[set];
  if (!params) return { skipped: `PARAMETER_SETS has no "${set}"` };
  const plan = (quick ? QUICK : PLAN)[set] ?? (quick ? QUICK["3_3"] : PLAN["3_3"]);
  const metrics = {};
  const sizes = {};
  const checks = {};
  const { msgMod, space } = messageSpace(params);
  const value = msgMod - 1;
  const f = (x) => (x * x) % space;
  const expected = f(value);

  log(`  [${set}] client key generation`);
  const ckRun = measure(() => engine.generateClientKey(params), {
    samples: plan.keygen, warmup: plan.keygenWarmup + 1, teardown: free, keepLast: true,
  });
  metrics.client_keygen = ckRun.summary;
  const ck = ckRun.last;
  sizes.client_key = ck.serialize().length;

  log(`  [${set}] evaluation key generation (compressed)`);
  const ekRun = measure(() => ck.generateEvaluationKeys(), {
    samples: plan.keygen, warmup: plan.keygenWarmup, teardown: free, keepLast: true,
  });
  metrics.eval_keygen_compressed = ekRun.summary;
  const ekBytes = ekRun.last.serialize();
  free(ekRun.last);
  sizes.eval_keys_compressed = ekBytes.length;

  log(`  [${set}] evaluation key expansion (deserialize + createEvaluator)`);
  const expand = () => {
    const keys = engine.deserializeEvaluationKeys(ekBytes);
    const ev = engine.createEvaluator(keys);
    return { keys, ev };
  };
  const release = ({ keys, ev }) => {
    free(ev);
    free(keys);
  };
  const expRun = measure(expand, {
    samples: plan.keygen, warmup: plan.keygenWarmup, teardown: release, keepLast: true,
  });
  metrics.eval_key_expand = expRun.summary;
  const { keys, ev } = expRun.last;
  sizes.eval_keys_expanded = ev.expandedKeyBytes;
  const memory = {
    rss_bytes: residentSetBytes(),
    wasm_memory_bytes: engine.memoryBytes,
    when: "after creating the evaluator",
  };

  log(`  [${set}] encrypt / decrypt`);
  let m = 0;
  metrics.encrypt = micro(`${set} encrypt`, () => {
    ck.encrypt(m).free();
    m = (m + 1) % msgMod;
  }, { quick });
  const ct = ck.encrypt(value);
  checks.decrypt = ck.decrypt(ct) === value ? "ok" : `decrypt(encrypt(${value})) = ${ck.decrypt(ct)}`;
  let sink = 0;
  metrics.decrypt = micro(`${set} decrypt`, () => {
    sink += ck.decrypt(ct);
  }, { quick });
  sizes.ciphertext = ct.serialize().length;

  const values = Array.from({ length: LIST_LEN }, (_, i) => i % msgMod);
  const seeded = measure(() => ck.encryptMany(values, { seeded: true }), {
    samples: plan.fast, warmup: plan.warmup, teardown: free, keepLast: true,
  });
  metrics.encrypt_seeded = perItem(seeded.summary, LIST_LEN);
  sizes.ciphertext_seeded_per_value = Math.round(seeded.last.serialize().length / LIST_LEN);
  free(seeded.last);

  log(`  [${set}] keyswitch / PBS / KS-PBS`);
  const lut = ev.lookupTable(f);
  metrics.keyswitch = measure(() => ev.keyswitch(ct), {
    samples: plan.fast, warmup: plan.warmup, teardown: free,
  }).summary;
  const small = ev.keyswitch(ct);
  const pbsRun = measure(() => ev.bootstrapSmall(small, lut), {
    samples: plan.fast, warmup: plan.warmup, teardown: free, keepLast: true,
  });
  metrics.pbs = pbsRun.summary;
  const pbsOut = ck.decrypt(pbsRun.last);
  checks.pbs = pbsOut === expected ? "ok" : `f(${value}) gave ${pbsOut}, expected ${expected}`;
  free(pbsRun.last);
  const ksPbsRun = measure(() => ev.bootstrap(ct, lut), {
    samples: plan.fast, warmup: plan.warmup, teardown: free, keepLast: true,
  });
  metrics.ks_pbs = ksPbsRun.summary;
  const ksPbsOut = ck.decrypt(ksPbsRun.last);
  checks.ks_pbs = ksPbsOut === expected ? "ok" : `f(${value}) gave ${ksPbsOut}, expected ${expected}`;
  free(ksPbsRun.last);

  free(small);
  free(lut);
  free(ct);
  free(ev);
  free(keys);
  free(ck);
  void sink;

  return {
    runtime,
    section: "engine",
    set,
    metrics,
    sizes,
    memory,
    checks,
    date: new Date().toISOString(),
    wall_s: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
}

/** Runs every requested set; returns { runs, skipped } (skipped: reasons, never numbers). */
export async function runEngine({ sets, quick = false, runtime, log = () => {}, api: injected }) {
  const imported = injected ? { api: injected } : await importEngine();
  if (imported.skipped) return { runs: [], skipped: [imported.skipped] };
  const api = imported.api;
  const engine = await api.loadEngine();
  const runs = [];
  const skipped = [];
  for (const set of sets) {
    try {
      const r = await runSet(engine, api, set, { quick, runtime, log });
      if (r.skipped) skipped.push(`${set}: ${r.skipped}`);
      else runs.push(r);
    } catch (err) {
      skipped.push(`${set}: failed (${err?.message ?? err})`);
      log(`  [${set}] FAILED: ${err?.stack ?? err}`);
    }
  }
  return { runs, skipped };
}
