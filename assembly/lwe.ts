// LWE ciphertexts over T_q, q = 2^64 (Regev 2005; TFHE notation, Chillotti et al. 2020).
// A ciphertext under a binary key s ∈ {0,1}^d is (a_0, …, a_{d−1}, b) with
//   b = Σ a_i·s_i + μ + e,   a uniform (from a public mask stream), e ~ TUniform(noiseBound),
// stored as d+1 u64, body last. Its phase φ = b − ⟨a, s⟩ = μ + e; decryption rounds φ.
// Every operation here is linear: noise variances add, and multiply by c² under a scalar c.

import { streamFill, streamNextU32 } from "./csprng";
import { sampleTUniform } from "./sampling";

/** ⟨a, s⟩ mod q for a binary key stored as u64 0/1 (SIMD: a & (0 − s), two lanes at a time). */
export function innerProductBinary(a: usize, key: usize, dimension: i32): u64 {
  let acc = i64x2.splat(0);
  const zero = i64x2.splat(0);
  let i = 0;
  for (; i + 1 < dimension; i += 2) {
    const o = <usize>i << 3;
    const keyMask = i64x2.sub(zero, v128.load(key + o));
    acc = i64x2.add(acc, v128.and(v128.load(a + o), keyMask));
  }
  let sum = i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1);
  for (; i < dimension; i++) {
    const o = <usize>i << 3;
    sum += load<u64>(a + o) & (<u64>0 - load<u64>(key + o));
  }
  return <u64>sum;
}

/**
 * Encrypts the torus plaintext μ (already scaled by Δ) under `key` of the given dimension:
 * the mask is the next d·8 bytes of `maskStream`, the noise one TUniform(noiseBound) sample
 * from the secret `noiseStream`.
 */
export function lweEncrypt(
  ct: usize, key: usize, dimension: i32, plaintext: u64, maskStream: usize, noiseStream: usize, noiseBound: u32,
): void {
  streamFill(maskStream, ct, <usize>dimension << 3);
  const noise = <u64>sampleTUniform(noiseStream, noiseBound);
  store<u64>(ct + (<usize>dimension << 3), innerProductBinary(ct, key, dimension) + plaintext + noise);
}

/**
 * Encryption modulo 2^32 (the KS32 small key): a_i uniform in Z_2^32 (4 keystream bytes each),
 * b = ⟨a, s⟩ + round(μ/2^32) + e mod 2^32 with e ~ TUniform(noiseBound) on the 2^32 scale; each
 * coefficient x is then stored as the 64-bit torus element x·2^32, which is how the keyswitch
 * hands its output to the modulus switch.
 */
export function lweEncrypt32Embedded(
  ct: usize, key: usize, dimension: i32, plaintext: u64, maskStream: usize, noiseStream: usize, noiseBound: u32,
): void {
  let body: u32 = <u32>((plaintext + (<u64>1 << 31)) >> 32) + <u32>sampleTUniform(noiseStream, noiseBound);
  for (let i = 0; i < dimension; i++) {
    const a = <u32>(streamNextU32(maskStream));
    body += a & (<u32>0 - <u32>load<u64>(key + (<usize>i << 3)));
    store<u64>(ct + (<usize>i << 3), <u64>a << 32);
  }
  store<u64>(ct + (<usize>dimension << 3), <u64>body << 32);
}

/** φ = b − ⟨a, s⟩: the plaintext plus noise. */
export function lwePhase(ct: usize, key: usize, dimension: i32): u64 {
  return load<u64>(ct + (<usize>dimension << 3)) - innerProductBinary(ct, key, dimension);
}

/** dst += src (both dimension d): the phase of the sum is the sum of the phases. */
export function lweAddAssign(dst: usize, src: usize, dimension: i32): void {
  for (let i = 0; i <= dimension; i++) {
    const o = <usize>i << 3;
    store<u64>(dst + o, load<u64>(dst + o) + load<u64>(src + o));
  }
}

/** dst −= src. */
export function lweSubAssign(dst: usize, src: usize, dimension: i32): void {
  for (let i = 0; i <= dimension; i++) {
    const o = <usize>i << 3;
    store<u64>(dst + o, load<u64>(dst + o) - load<u64>(src + o));
  }
}

/** ct = −ct. */
export function lweNegateAssign(ct: usize, dimension: i32): void {
  for (let i = 0; i <= dimension; i++) {
    const o = <usize>i << 3;
    store<u64>(ct + o, <u64>0 - load<u64>(ct + o));
  }
}

/** ct = c·ct for a cleartext integer c: the phase becomes c·φ, the noise variance c²·σ². */
export function lweMulScalarAssign(ct: usize, dimension: i32, scalar: i64): void {
  for (let i = 0; i <= dimension; i++) {
    const o = <usize>i << 3;
    store<u64>(ct + o, load<u64>(ct + o) * <u64>scalar);
  }
}

/** Adds a plaintext (already scaled by Δ) to the body: no noise added. */
export function lweAddPlaintextAssign(ct: usize, dimension: i32, plaintext: u64): void {
  const o = <usize>dimension << 3;
  store<u64>(ct + o, load<u64>(ct + o) + plaintext);
}

/** The noiseless "trivial" encryption (0, …, 0, μ), readable by anyone: for constants only. */
export function lweTrivial(ct: usize, dimension: i32, plaintext: u64): void {
  memory.fill(ct, 0, <usize>dimension << 3);
  store<u64>(ct + (<usize>dimension << 3), plaintext);
}
