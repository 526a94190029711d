// Modulus switch of an LWE ciphertext from q = 2^64 to 2N, ahead of the blind rotation, with the
// public part of the rounding error compensated in the body ("centered" or mean-compensated
// switch; tfhe-rs calls its variant CenteredMeanNoiseReduction).
//
// Plain switch: ã_i = round(a_i·2N/q), b̃ = round(b·2N/q). In units of 1/2N the new phase is
//   b̃ − Σ ã_i s_i = φ·2N/q − e_b + Σ e_i s_i,   e_i = a_i·2N/q − ã_i ∈ [−½, ½),
// and with s_i ∈ {0,1} uniform, Var(Σ e_i s_i) = n·E[e²]·E[s²] = n/24.
// Writing s_i = ½ + (s_i − ½) splits Σ e_i s_i into ½·Σ e_i, which is PUBLIC (anyone can compute
// the e_i), and Σ e_i (s_i − ½), whose variance is n·(1/12)·(1/4) = n/48 because (s_i − ½)² = ¼
// for every binary s_i. Subtracting ½·Σ e_i from b before rounding it therefore halves the
// mask part of the switch noise: total variance (n/48 + 1/12)·(2N)^−2 on the torus (SPEC §5.3).

/**
 * Switches the n+1 coefficients of `input` (u64) to Z_2N. Writes ã_i to `maskOut` (n i32) and
 * returns the compensated b̃. `logTwoN` = log2(2N).
 */
export function modulusSwitchCentered(input: usize, n: i32, logTwoN: u32, maskOut: usize): i32 {
  const dropped: u64 = 64 - <u64>logTwoN;
  const half: u64 = <u64>1 << (dropped - 1);
  const modMask: u64 = (<u64>1 << logTwoN) - 1;
  // Σ e_i in units of 2^−64 (q-scale): e_i·2^dropped = a_i − ã_i·2^dropped, each |·| ≤ 2^(dropped−1).
  let errorSum: i64 = 0;
  for (let i = 0; i < n; i++) {
    const a = load<u64>(input + (<usize>i << 3));
    const switched = (a + half) >> dropped; // round to nearest (ties up), before reduction mod 2N
    errorSum += <i64>(a - (switched << dropped));
    store<i32>(maskOut + (<usize>i << 2), <i32>(switched & modMask));
  }
  const b = load<u64>(input + (<usize>n << 3));
  // b' = b − ½·Σ e_i (on the q scale; the sum's halving rounds toward −∞, an error far below 1/2N).
  const compensated = b - <u64>(errorSum >> 1);
  return <i32>(((compensated + half) >> dropped) & modMask);
}

/** The plain switch of one coefficient: round(t·2N/q) mod 2N (reference; tests). */
export function modulusSwitchPlain(t: u64, logTwoN: u32): i32 {
  const dropped: u64 = 64 - <u64>logTwoN;
  return <i32>(((t + (<u64>1 << (dropped - 1))) >> dropped) & ((<u64>1 << logTwoN) - 1));
}
