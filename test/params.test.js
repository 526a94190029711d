// Parameter sets: security check, validation, fingerprint, sizes, noise model.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  PARAMETER_SETS,
  TUNIFORM_BOUND_FLOOR,
  customParameterSet,
  derivedSizes,
  erfc,
  freshLweVariance,
  keyswitchVariance,
  keyswitchKeyNarrowingVariance,
  log2Erfc,
  log2PFailFromVariance,
  minimalGaussianLog2StdDev,
  minimalTUniformBound,
  modulusSwitchVariance,
  plainModulusSwitchVariance,
  parameterFingerprint,
  parameterSetByFingerprint,
  pbsOutputVariance,
  pFailFromVariance,
  securityCheck,
  tUniformIntegerVariance,
  validateParameterSet,
} from "blindml/engine";
import { InsecureParametersError, InvalidArgumentError } from "blindml/engine";

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const withFields = (base, changes) => ({ ...base, name: "custom", ...changes });

// --- security -------------------------------------------------------------

test("every named set passes the 128-bit check with the published minimums", () => {
  // Minimums from tfhe-rs secure_noise.rs (REFERENCES.md): 46/45/41 for n, 17 for k·N = 2048.
  const expected = {
    "1_1": { lwe: [879, 46], glwe: [2048, 17] },
    "2_2": { lwe: [918, 45], glwe: [2048, 17] },
    "3_3": { lwe: [1077, 41], glwe: [8192, 3] },
  };
  for (const [name, want] of Object.entries(expected)) {
    const report = securityCheck(PARAMETER_SETS[name]);
    assert.ok(report.secure, name);
    assert.equal([report.lwe.dimension, report.lwe.required], want.lwe, `${name} lwe`);
    assert.equal([report.glwe.dimension, report.glwe.required], want.glwe, `${name} glwe`);
    assert.is(report.lwe.actual, want.lwe[1]);
    assert.is(report.glwe.actual, want.glwe[1]);
    validateParameterSet(PARAMETER_SETS[name]); // does not throw
  }
});

test("3_3's GLWE bound of 3 passes through the floor, not the linear fit", () => {
  const linearFit = Math.ceil(-0.025167785 * 8192 + 64 + 4.100671);
  assert.ok(linearFit < 0, "the fit alone would ask for a negative bound");
  assert.is(TUNIFORM_BOUND_FLOOR, 3);
  assert.is(minimalTUniformBound(8192), 3);
  // The floor is the smallest b whose integer variance reaches tfhe-rs's 2^4 term.
  assert.ok(tUniformIntegerVariance(2) < 16 && tUniformIntegerVariance(3) >= 16);
  assert.is(minimalTUniformBound(1117), 40); // 4_4's n reproduces the table too
});

test("lowering any named set's LWE or GLWE bound by 1 is rejected as insecure", () => {
  for (const set of Object.values(PARAMETER_SETS)) {
    const lowerLwe = withFields(set, { lweNoise: { kind: "tuniform", bound: set.lweNoise.bound - 1 } });
    assert.is(securityCheck(lowerLwe).secure, false);
    assert.throws(() => customParameterSet(lowerLwe), (e) =>
      e instanceof InsecureParametersError &&
      e.code === "BLINDML_INSECURE_PARAMETERS" &&
      e.message.includes(`at least ${set.lweNoise.bound}`) &&
      e.message.includes("LWE key"),
    );
    const lowerGlwe = withFields(set, { glweNoise: { kind: "tuniform", bound: set.glweNoise.bound - 1 } });
    assert.throws(() => customParameterSet(lowerGlwe), (e) =>
      e instanceof InsecureParametersError && e.message.includes(`at least ${set.glweNoise.bound}`),
    );
  }
});

test("Gaussian noise is checked against tfhe-rs's variance bound", () => {
  const n = 918;
  const required = minimalGaussianLog2StdDev(n);
  // Var_min = 2^(4 − 128) + 2^(5.31469187675068 − 0.0497829131652661·n), log2 σ = log2(Var)/2.
  const expected = Math.log2(2 ** -124 + 2 ** (5.31469187675068 - 0.0497829131652661 * n)) / 2;
  assert.ok(Math.abs(required - expected) < 1e-12);
  const base = PARAMETER_SETS["2_2"];
  const atBound = withFields(base, { lweNoise: { kind: "gaussian", log2StdDev: required } });
  assert.ok(customParameterSet(atBound));
  const below = withFields(base, { lweNoise: { kind: "gaussian", log2StdDev: required - 0.01 } });
  assert.throws(() => customParameterSet(below), (e) => e instanceof InsecureParametersError && /log2 σ/.test(e.message));
  // For very large dimensions the 2^(4 − 2·64) term takes over: σ ≥ 4/q.
  assert.ok(Math.abs(minimalGaussianLog2StdDev(100000) - (2 - 64)) < 1e-9);
});

// --- structure ------------------------------------------------------------

test("malformed sets are rejected with InvalidArgumentError naming the field", () => {
  const base = PARAMETER_SETS["2_2"];
  const cases = [
    [{ polynomialSize: 1000 }, "polynomialSize"],
    [{ polynomialSize: 128 }, "polynomialSize"],
    [{ polynomialSize: 32768 }, "polynomialSize"],
    [{ glweDimension: 0 }, "glweDimension"],
    [{ lweDimension: 917.5 }, "lweDimension"],
    [{ pbsBaseLog: 33, pbsLevel: 2 }, "pbsBaseLog·pbsLevel"],
    [{ ksLevel: 0 }, "ksLevel"],
    [{ messageModulus: 3 }, "messageModulus"],
    [{ messageModulus: 64, carryModulus: 64 }, "messageModulus·carryModulus"],
    [{ carryModulus: 2 ** 40 }, "carryModulus"],
    [{ maxNormSquared: 0 }, "maxNormSquared"],
    [{ lweNoise: { kind: "tuniform", bound: 70 } }, "lweNoise.bound"],
    [{ glweNoise: { kind: "laplace", bound: 17 } }, "glweNoise.kind"],
    [{ lweNoise: { kind: "gaussian", log2StdDev: 3 } }, "lweNoise.log2StdDev"],
    [{ ciphertextModulusLog2: 32 }, "ciphertextModulusLog2"],
    [{ name: "" }, "name"],
  ];
  for (const [changes, field] of cases) {
    assert.throws(
      () => customParameterSet({ ...base, ...changes }),
      (e) => e instanceof InvalidArgumentError && e.message.includes(field),
      JSON.stringify(changes),
    );
  }
});

test("custom sets come back deeply frozen, without foreign fields", () => {
  const set = customParameterSet({ ...PARAMETER_SETS["2_2"], name: "mine", extra: "dropped" });
  assert.ok(Object.isFrozen(set) && Object.isFrozen(set.lweNoise) && Object.isFrozen(set.glweNoise));
  assert.is(set.extra, undefined);
  assert.is(set.name, "mine");
  const minimal = { ...PARAMETER_SETS["2_2"] };
  delete minimal.log2PFail;
  delete minimal.provenance;
  const defaults = customParameterSet(minimal);
  assert.ok(Number.isNaN(defaults.log2PFail));
  assert.is(defaults.provenance, "custom");
});

test("the named sets are deeply frozen", () => {
  assert.ok(Object.isFrozen(PARAMETER_SETS));
  assert.throws(() => {
    PARAMETER_SETS["2_2"].lweNoise.bound = 1;
  }, (e) => e instanceof TypeError);
  assert.is(PARAMETER_SETS["2_2"].lweNoise.bound, 45);
});

// --- fingerprint ------------------------------------------------------------

test("fingerprints are 8 bytes, distinct per set, and pinned for 2_2", () => {
  const prints = Object.values(PARAMETER_SETS).map((set) => hex(parameterFingerprint(set)));
  assert.is(new Set(prints).size, prints.length);
  for (const set of Object.values(PARAMETER_SETS)) assert.is(parameterFingerprint(set).length, 8);
  // Pinned: changing this value changes the on-disk format of every object.
  assert.is(hex(parameterFingerprint(PARAMETER_SETS["2_2"])), "68fe5f3804d4f488");
});

test("the fingerprint covers compatibility fields only", () => {
  const base = PARAMETER_SETS["2_2"];
  const original = hex(parameterFingerprint(base));
  const relabelled = { ...base, name: "other", provenance: "elsewhere", log2PFail: -1 };
  assert.is(hex(parameterFingerprint(relabelled)), original);
  const changes = [
    { lweDimension: 919 }, { glweDimension: 2 }, { polynomialSize: 4096 },
    { lweNoise: { kind: "tuniform", bound: 46 } }, { glweNoise: { kind: "tuniform", bound: 18 } },
    { lweNoise: { kind: "gaussian", log2StdDev: 45 } },
    { pbsBaseLog: 22 }, { pbsLevel: 2 }, { ksBaseLog: 3 }, { ksLevel: 5 },
    { messageModulus: 8 }, { carryModulus: 2 }, { maxNormSquared: 6 },
  ];
  for (const change of changes) {
    assert.is.not(hex(parameterFingerprint({ ...base, ...change })), original, JSON.stringify(change));
  }
});

test("a fingerprint leads back to its named set", () => {
  for (const set of Object.values(PARAMETER_SETS)) {
    assert.is(parameterSetByFingerprint(parameterFingerprint(set)), set);
  }
  assert.is(parameterSetByFingerprint(new Uint8Array(8)), undefined);
});

// --- sizes ------------------------------------------------------------------

test("derived sizes of 2_2 match REFERENCES.md", () => {
  const sizes = derivedSizes(PARAMETER_SETS["2_2"]);
  assert.is(sizes.bigKeyCiphertextBytes, 16392); // (2048 + 1)·8
  assert.is(sizes.smallKeyCiphertextBytes, 7352); // (918 + 1)·8
  assert.is(sizes.seededBootstrapKeyBytes, 30081024); // 918·1·2·2048·8
  assert.is(sizes.bootstrapKeyBytes, 60162048); // 918·1·4·2048·8
  assert.is(sizes.fourierBootstrapKeyBytes, 60162048);
  assert.is(sizes.keyswitchKeyBytes, 60227584); // 2048·4·919·8
  assert.is(sizes.seededKeyswitchKeyBytes, 65536); // 2048·4·8
  // "seeded total ≈ 30.2 MB, expanded ≈ 120 MB"
  assert.is(Math.round((sizes.seededBootstrapKeyBytes + sizes.seededKeyswitchKeyBytes) / 1e5) / 10, 30.1);
  assert.is(Math.round((sizes.bootstrapKeyBytes + sizes.keyswitchKeyBytes) / 1e6), 120);
});

// --- noise model ------------------------------------------------------------

test("fresh noise variances follow the TUniform and Gaussian formulas", () => {
  assert.is(tUniformIntegerVariance(0), 0.5); // values −1, 0, 1 with probabilities ¼, ½, ¼
  assert.is(freshLweVariance({ kind: "tuniform", bound: 45 }), (2 ** 91 + 1) / 6 / 2 ** 128);
  assert.is(freshLweVariance({ kind: "gaussian", log2StdDev: -40 }), 2 ** -80);
});

test("keyswitch, modulus-switch and PBS variances of 2_2 (regression pins)", () => {
  const p = PARAMETER_SETS["2_2"];
  const close = (actual, expected) => Math.abs(actual / expected - 1) < 1e-9;
  // Mean-compensated switch: (n/48 + 1/12)·(2N)^−2; the plain one: n·(2N)^−2/24 + (2N)^−2/12 + O(q^−2).
  assert.ok(close(modulusSwitchVariance(p), (918 / 48 + 1 / 12) / 4096 ** 2));
  assert.ok(close(plainModulusSwitchVariance(p), 918 / (4096 ** 2 * 24) + 1 / (4096 ** 2 * 12) + 2 ** -128 * (918 / 48 - 1 / 12)));
  // (−22.03037364904352 before the evaluator's 32-bit keyswitch: the output rounding 2^−64/12 and
  // Var_ν move it by 2.3e-6)
  assert.ok(Math.abs(Math.log2(keyswitchVariance(p)) - -22.030371387198965) < 1e-9);
  assert.ok(Math.abs(Math.log2(plainModulusSwitchVariance(p)) - -18.73947244977678) < 1e-9);
  // The evaluator's 32-bit keyswitch on 2_2's narrowed key: l·kN·(B²/12 + 1/6)·(1 + n/2)·2^−64/12.
  const narrowing = keyswitchKeyNarrowingVariance(p);
  assert.ok(close(narrowing, 4 * 2048 * (16 ** 2 / 12 + 1 / 6) * (1 + 918 / 2) * 2 ** -64 / 12));
  assert.ok(Math.abs(Math.log2(narrowing) - -41.3) < 0.05, `2^${Math.log2(narrowing)}`);
  // a KS32 set's key is native 32-bit: nothing to narrow
  assert.is(keyswitchKeyNarrowingVariance(PARAMETER_SETS["2_2_KS32"]), 0);
});

test("erfc matches reference values to 1e-12 relative", () => {
  // References: CPython math.erfc (libm), printed to 17 digits.
  const references = [
    [-1.5, 1.9661051464753108],
    [0, 1],
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689274],
    [2, 0.004677734981047265],
    [2.5, 0.0004069520174449589],
    [3, 2.2090496998585438e-5],
    [4, 1.541725790028002e-8],
    [6, 2.1519736712498916e-17],
    [10, 2.088487583762545e-45],
    [20, 5.3958656116079005e-176],
  ];
  for (const [x, expected] of references) {
    assert.ok(Math.abs(erfc(x) / expected - 1) < 1e-12, `erfc(${x}) = ${erfc(x)}, want ${expected}`);
  }
});

test("log2 erfc stays accurate deep in the tail, far below 2^-200", () => {
  const references = [
    [10, -148.42430570335063],
    [16.92, -417.9328840450615],
    [25, -907.155156666892],
  ];
  for (const [x, expected] of references) {
    assert.ok(Math.abs(log2Erfc(x) / expected - 1) < 1e-7, `log2Erfc(${x})`);
  }
  assert.ok(Number.isFinite(log2Erfc(100)) && log2Erfc(100) < -14000); // plain erfc would underflow
});

test("pFailFromVariance is the two-sided Gaussian tail", () => {
  // Half-width 5σ: P(|X| > 5σ) = erfc(5/√2) ≈ 5.733e-7.
  const p = pFailFromVariance(4, 10);
  assert.ok(Math.abs(p / 5.733031437583892e-7 - 1) < 1e-12);
  assert.ok(Math.abs(log2PFailFromVariance(2 ** -40, 5 * 2 ** -20) - Math.log2(5.733031437583892e-7)) < 1e-9);
  assert.throws(() => pFailFromVariance(0, 1), (e) => e instanceof InvalidArgumentError);
  assert.throws(() => pFailFromVariance(1, -1), (e) => e instanceof InvalidArgumentError);
});

test.run();
