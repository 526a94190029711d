// The parameters one engine call needs, laid out in linear memory so that a single pointer
// carries them. The host fills one `Params` per parameter set (see src/engine/params.ts for the
// named sets and their provenance; docs/SPEC.md §2 for their meaning).

@unmanaged
export class Params {
  /** n: dimension of the small LWE key (bootstrapping input). */
  lweDimension: i32;
  /** k: number of polynomials in the GLWE key. */
  glweDimension: i32;
  /** N: degree bound of the ring Z_q[X]/(X^N + 1); a power of two. */
  polynomialSize: i32;
  /** log2 N, cached. */
  logPolynomialSize: i32;
  /** β and l of the bootstrapping key's gadget (base 2^β, l levels). */
  pbsBaseLog: u32;
  pbsLevel: u32;
  /** β and l of the keyswitching key's gadget. */
  ksBaseLog: u32;
  ksLevel: u32;
  /** TUniform bounds b: noise in [−2^b, 2^b] for small-key (LWE) and GLWE/big-key encryptions. */
  lweNoiseBound: u32;
  glweNoiseBound: u32;
  /** Low bits dropped from each stored bootstrapping-key body in the compressed key (0 = none). */
  bskBodyDroppedBits: u32;
  /** log2 of the keyswitch output modulus: 64, or 32 for the "KS32" sets (SPEC §4.7). */
  ksOutputModulusLog2: u32;
}

export const PARAMS_BYTES: usize = offsetof<Params>();

/** k·N: dimension of the big LWE key (the flattened GLWE key). */
@inline export function bigLweDimension(p: Params): i32 {
  return p.glweDimension * p.polynomialSize;
}

export function paramsInit(
  ptr: usize, n: i32, k: i32, polySize: i32, pbsBaseLog: u32, pbsLevel: u32,
  ksBaseLog: u32, ksLevel: u32, lweNoiseBound: u32, glweNoiseBound: u32, bskBodyDroppedBits: u32,
  ksOutputModulusLog2: u32,
): void {
  const p = changetype<Params>(ptr);
  p.lweDimension = n;
  p.glweDimension = k;
  p.polynomialSize = polySize;
  p.logPolynomialSize = <i32>ctz<u32>(<u32>polySize);
  p.pbsBaseLog = pbsBaseLog;
  p.pbsLevel = pbsLevel;
  p.ksBaseLog = ksBaseLog;
  p.ksLevel = ksLevel;
  p.lweNoiseBound = lweNoiseBound;
  p.glweNoiseBound = glweNoiseBound;
  p.bskBodyDroppedBits = bskBodyDroppedBits;
  p.ksOutputModulusLog2 = ksOutputModulusLog2;
}

/** Bytes of one keyswitching-key coefficient: 8, or 4 for a 2^32 output modulus. */
@inline export function kskWordBytes(p: Params): usize {
  return p.ksOutputModulusLog2 == 32 ? 4 : 8;
}
