// The npm `tfhe` package (tfhe-rs compiled to WebAssembly) on its default parameter set,
// PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128 ("2_2"), single-threaded (no thread pool).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { measure, micro } from "../lib/stats.js";

const require = createRequire(import.meta.url);
const PARAM_NAME = "PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128";
const LIST_LEN = 64;

/**
 * The package is built for browsers. Its rayon helper (snippets/…/workerHelpers.js) runs
 * `self.addEventListener(...)` when imported, so Node needs `self` and, to avoid an unhandled
 * rejection at exit, a no-op addEventListener while the import evaluates.
 */
async function loadTfhe() {
  const g = globalThis;
  if (g.self === undefined) g.self = g;
  const stubbed = typeof g.addEventListener !== "function";
  if (stubbed) {
    g.addEventListener = () => {};
    g.removeEventListener = () => {};
  }
  let tfhe;
  try {
    tfhe = await import("tfhe");
  } finally {
    if (stubbed) {
      delete g.addEventListener;
      delete g.removeEventListener;
    }
  }
  const pkgDir = dirname(require.resolve("tfhe/package.json"));
  const wasmBytes = readFileSync(join(pkgDir, "tfhe_bg.wasm"));
  const init = tfhe.initSync({ module: wasmBytes });
  const version = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
  return { tfhe, init, version };
}

export async function runTfheNpm({ quick = false, runtime, log = () => {} } = {}) {
  const started = performance.now();
  const { tfhe: t, init, version } = await loadTfhe();
  const { Shortint } = t;
  const metrics = {};
  const sizes = {};
  const unavailable = {};
  const notes = [];

  const nameId = t.ShortintParametersName[PARAM_NAME];
  const params = new t.ShortintParameters(nameId);
  const paramsSeen = {
    name: t.shortint_params_name(nameId),
    n: params.lwe_dimension(),
    k: params.glwe_dimension(),
    N: params.polynomial_size(),
    pbs: `${params.pbs_base_log()}/${params.pbs_level()}`,
    ks: `${params.ks_base_log()}/${params.ks_level()}`,
    message_modulus: Number(params.message_modulus()),
    carry_modulus: Number(params.carry_modulus()),
    encryption_key: params.encryption_key_choice() === t.ShortintEncryptionKeyChoice.Big ? "big" : "small",
  };
  log(`  tfhe ${version}: ${paramsSeen.name} n=${paramsSeen.n} k=${paramsSeen.k} N=${paramsSeen.N}`);

  // Client key (shortint).
  log("  client key generation");
  const ckRun = measure(() => Shortint.new_client_key(params), {
    samples: quick ? 5 : 20,
    warmup: 2,
    teardown: (k) => k.free(),
    keepLast: true,
  });
  metrics.client_keygen = ckRun.summary;
  const ck = ckRun.last;
  sizes.client_key = Shortint.serialize_client_key(ck).length;

  // Compressed (seeded) server key: the evaluation keys a client uploads.
  log("  compressed server key generation");
  const skRun = measure(() => Shortint.new_compressed_server_key(ck), {
    samples: quick ? 1 : 4,
    warmup: 0,
    teardown: (k) => k.free(),
    keepLast: true,
  });
  metrics.eval_keygen_compressed = skRun.summary;
  sizes.eval_keys_compressed = Shortint.serialize_compressed_server_key(skRun.last).length;
  skRun.last.free();
  unavailable.eval_key_expand =
    "not exported (no decompression of a compressed server key in the JS API)";
  unavailable.eval_keys_expanded = "not exported";

  // Encrypt / decrypt one 4-bit shortint message (message 2 bits + carry 2 bits).
  log("  encrypt / decrypt");
  let m = 0n;
  metrics.encrypt = micro("tfhe encrypt", () => {
    Shortint.encrypt(ck, m).free();
    m = (m + 1n) & 3n;
  }, { quick });
  metrics.encrypt_seeded = micro("tfhe encrypt_compressed", () => {
    Shortint.encrypt_compressed(ck, 3n).free();
  }, { quick });
  const ct = Shortint.encrypt(ck, 3n);
  let sink = 0n;
  metrics.decrypt = micro("tfhe decrypt", () => {
    sink += Shortint.decrypt(ck, ct);
  }, { quick });
  const roundTrip = Shortint.decrypt(ck, ct);
  if (roundTrip !== 3n) throw new Error(`tfhe peer: decrypt(encrypt(3)) gave ${roundTrip}`);
  sizes.ciphertext = Shortint.serialize_ciphertext(ct).length;
  const cct = Shortint.encrypt_compressed(ck, 3n);
  sizes.ciphertext_seeded_per_value = Shortint.serialize_compressed_ciphertext(cct).length;
  const cctBack = Shortint.decrypt(ck, Shortint.decompress_ciphertext(cct));
  if (cctBack !== 3n) throw new Error(`tfhe peer: compressed ciphertext decrypted to ${cctBack}`);
  cct.free();
  ct.free();
  ck.free();
  params.free();

  // No keyswitch / PBS / LUT entry point is exported to JS. The only JS-reachable path that
  // runs one is the expansion of a *packed* compact ciphertext list (high-level API), which
  // needs a full (uncompressed) server key set globally.
  unavailable.keyswitch = "not exported";
  unavailable.pbs = "not exported";
  unavailable.ks_pbs = "not exported";
  log("  high-level keys for the forced KS+PBS path");
  const hck = t.TfheClientKey.generate(t.TfheConfigBuilder.default().build());
  const cpk = t.TfheCompactPublicKey.new(hck);
  const fullSk = measure(() => t.TfheServerKey.new(hck), { samples: 1, warmup: 0, keepLast: true });
  metrics.server_keygen_full = fullSk.summary;
  t.set_server_key(fullSk.last);

  // Compact public-key lists of 64 2-bit values, unpacked and packed.
  for (const [kind, build] of [["compact_list_per_value", "build"], ["compact_list_packed_per_value", "build_packed"]]) {
    const b = t.CompactCiphertextList.builder(cpk);
    for (let i = 0; i < LIST_LEN; i++) b.push_u2(i & 3);
    const list = b[build]();
    sizes[kind] = Math.round(list.serialize().length / LIST_LEN);
    list.free();
  }

  log("  forced KS+PBS (packed compact-list expansion of one 2-bit block)");
  const forced = measure(
    (list) => {
      const expander = list.expand();
      const v = expander.get_uint2(0);
      expander.free();
      return v;
    },
    {
      samples: quick ? 2 : 5,
      warmup: 1,
      setup: () => {
        const b = t.CompactCiphertextList.builder(cpk);
        b.push_u2(2);
        return b.build_packed();
      },
      teardown: (v, list) => {
        const got = v.decrypt(hck);
        if (got !== 2) throw new Error(`tfhe peer: packed list expanded to ${got}`);
        v.free();
        list.free();
      },
    },
  );
  metrics.ks_pbs_forced = {
    ...forced.summary,
    note: "packed compact-list expansion of one 2-bit block: list expansion + one KS+PBS",
  };

  const wasmMemory = init?.memory?.buffer?.byteLength ?? null;
  const memory = { rss_bytes: process.memoryUsage().rss, wasm_memory_bytes: wasmMemory, when: "after all keys" };
  fullSk.last.free();
  cpk.free();
  hck.free();
  void sink;

  notes.push("single thread (initThreadPool not called)");
  return {
    runtime,
    section: "tfhe-npm",
    set: "2_2",
    peer: { package: "tfhe", version, params: paramsSeen },
    metrics,
    sizes,
    memory,
    unavailable,
    notes,
    date: new Date().toISOString(),
    wall_s: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
}
