// Figures NOT measured by this harness: copied from /work/shared/REFERENCES.md, shown only in
// the clearly labelled "published, not measured here" column of BENCHMARKS.md.
export const SOURCES = {
  a: "tfhe-rs published benchmarks, native, AWS hpc8a (AMD EPYC 9R45, AVX-512), p_fail 2^-128",
  b: "npm tfhe 1.6.1 measured earlier on a 2 vCPU AMD EPYC Zen 5, Node 20, one thread (REFERENCES.md)",
  c: "derived from the key/ciphertext layouts (REFERENCES.md), set 2_2",
};

/** metric -> list of { label, value, unit, src } */
export const PUBLISHED = {
  client_keygen: [{ label: "npm tfhe 2_2", value: 0.33, unit: "ms", src: "b" }],
  eval_keygen_compressed: [{ label: "npm tfhe 2_2", value: 3270, unit: "ms", src: "b" }],
  encrypt: [{ label: "npm tfhe 2_2", value: 0.36, unit: "ms", src: "b" }],
  decrypt: [{ label: "npm tfhe 2_2", value: 0.0034, unit: "ms", src: "b" }],
  pbs: [
    { label: "1_1", value: 4.55, unit: "ms", src: "a" },
    { label: "2_2", value: 5.64, unit: "ms", src: "a" },
    { label: "3_3", value: 52.9, unit: "ms", src: "a" },
  ],
  ks_pbs: [
    { label: "1_1", value: 5.72, unit: "ms", src: "a" },
    { label: "2_2", value: 7.28, unit: "ms", src: "a" },
    { label: "3_3", value: 60.8, unit: "ms", src: "a" },
  ],
  ks_pbs_forced: [{ label: "npm tfhe 2_2", value: 540, unit: "ms", src: "b" }],
  eval_keys_compressed: [
    { label: "2_2", value: 30.2e6, unit: "B~", src: "c" },
    { label: "npm tfhe 2_2", value: 30146816, unit: "B", src: "b" },
  ],
  eval_keys_expanded: [{ label: "2_2", value: 120e6, unit: "B~", src: "c" }],
  ciphertext: [
    { label: "2_2", value: 16392, unit: "B", src: "c" },
    { label: "npm tfhe 2_2", value: 16464, unit: "B", src: "b" },
  ],
  ciphertext_seeded_per_value: [{ label: "npm tfhe 2_2", value: 124, unit: "B", src: "b" }],
};
