// The server side: evaluation keys expanded for use (keyswitching key in 32-bit words, bootstrapping key
// in the Fourier domain) and the scratch one evaluation needs. Holds no secret: everything here
// is derived from the public evaluation keys.

import { CHACHA20_STREAM_BYTES, streamInit } from "./csprng";
import { DOMAIN_KSK_MASK } from "./domains";
import { Params, bigLweDimension } from "./params";
import { keyswitchKeyExpandForEvaluation, keyswitch } from "./keyswitch";
import {
  bootstrapKeyExpandToFourier, bootstrapWorkspaceCreate, bootstrapWorkspaceFree,
  programmableBootstrap, programmableBootstrapMany,
} from "./bootstrap";

@unmanaged
export class Evaluator {
  params: usize;
  /** k·N·l_ks rows of n+1 u32 (a 64-bit key narrowed: keyswitch.ts). */
  ksk: usize;
  /** n·(k+1)·l·(k+1)·N f64. */
  fourierBsk: usize;
  workspace: usize;
  /** Keyswitch output / bootstrap input: n+1 u64. */
  smallCiphertext: usize;
  /** Keyswitch digits: 2·l_ks i64 (two input coefficients at a time). */
  ksDigits: usize;
  /** Keyswitch accumulator for a 2^32 output modulus: n+1 u32. */
  ksAccumulator32: usize;
  /** Whether ksk and fourierBsk belong to this evaluator (freed with it). */
  ownsKeys: bool;
}

/** The evaluator's keyswitching key: u32 words whatever the key's modulus (keyswitch.ts). */
export function keyswitchKeyBytes(p: Params): usize {
  return <usize>bigLweDimension(p) * <usize>p.ksLevel * <usize>(p.lweDimension + 1) << 2;
}

export function fourierBootstrapKeyBytes(p: Params): usize {
  const k1 = <usize>(p.glweDimension + 1);
  return <usize>p.lweDimension * <usize>p.pbsLevel * k1 * k1 * (<usize>p.polynomialSize << 3);
}

/** An evaluator over already expanded keys (e.g. copied from another instance). */
export function evaluatorFromExpanded(paramsPtr: usize, ksk: usize, fourierBsk: usize, ownsKeys: bool): usize {
  const p = changetype<Params>(paramsPtr);
  const ev = changetype<Evaluator>(heap.alloc(offsetof<Evaluator>()));
  ev.params = paramsPtr;
  ev.ksk = ksk;
  ev.fourierBsk = fourierBsk;
  ev.workspace = bootstrapWorkspaceCreate(paramsPtr, fourierBsk);
  ev.smallCiphertext = heap.alloc(<usize>(p.lweDimension + 1) << 3);
  ev.ksDigits = heap.alloc(<usize>p.ksLevel << 4);
  ev.ksAccumulator32 = heap.alloc(<usize>(p.lweDimension + 1) << 2);
  ev.ownsKeys = ownsKeys;
  return changetype<usize>(ev);
}

/** Expands compressed evaluation keys (seed + bodies) into a new evaluator. */
export function evaluatorCreate(paramsPtr: usize, seed: usize, bskBodies: usize, kskBodies: usize): usize {
  const p = changetype<Params>(paramsPtr);
  const stream = heap.alloc(CHACHA20_STREAM_BYTES);
  const ksk = heap.alloc(keyswitchKeyBytes(p));
  const row64 = heap.alloc(<usize>(p.lweDimension + 1) << 3);
  streamInit(stream, seed, DOMAIN_KSK_MASK, 0, 0);
  keyswitchKeyExpandForEvaluation(ksk, kskBodies, paramsPtr, stream, row64);
  heap.free(row64);
  const fourierBsk = heap.alloc(fourierBootstrapKeyBytes(p));
  bootstrapKeyExpandToFourier(fourierBsk, bskBodies, paramsPtr, seed, stream);
  heap.free(stream);
  return evaluatorFromExpanded(paramsPtr, ksk, fourierBsk, true);
}

export function evaluatorFree(ptr: usize): void {
  const ev = changetype<Evaluator>(ptr);
  if (ev.ownsKeys) {
    heap.free(ev.ksk);
    heap.free(ev.fourierBsk);
  }
  bootstrapWorkspaceFree(ev.workspace);
  heap.free(ev.smallCiphertext);
  heap.free(ev.ksDigits);
  heap.free(ev.ksAccumulator32);
  heap.free(ptr);
}

export function evaluatorKeyswitchKey(ptr: usize): usize { return changetype<Evaluator>(ptr).ksk; }
export function evaluatorFourierBootstrapKey(ptr: usize): usize { return changetype<Evaluator>(ptr).fourierBsk; }

/** KS: big-key ciphertext → small-key ciphertext (out: n+1 u64). */
export function evaluatorKeyswitch(ptr: usize, out: usize, input: usize): void {
  const ev = changetype<Evaluator>(ptr);
  keyswitch(out, input, ev.ksk, ev.params, ev.ksDigits, ev.ksAccumulator32);
}

/** PBS alone: small-key input → big-key output. */
export function evaluatorBootstrapSmall(ptr: usize, out: usize, input: usize, lut: usize): void {
  programmableBootstrap(changetype<Evaluator>(ptr).workspace, out, input, lut);
}

/** KS then PBS (tfhe-rs "KS_PBS" order): big-key input → big-key output. */
export function evaluatorBootstrap(ptr: usize, out: usize, input: usize, lut: usize): void {
  const ev = changetype<Evaluator>(ptr);
  keyswitch(ev.smallCiphertext, input, ev.ksk, ev.params, ev.ksDigits, ev.ksAccumulator32);
  programmableBootstrap(ev.workspace, out, ev.smallCiphertext, lut);
}

/** KS then many-LUT PBS: `count` outputs of k·N + 1 u64 each. */
export function evaluatorBootstrapMany(ptr: usize, out: usize, input: usize, lut: usize, count: i32, stride: i32): void {
  const ev = changetype<Evaluator>(ptr);
  keyswitch(ev.smallCiphertext, input, ev.ksk, ev.params, ev.ksDigits, ev.ksAccumulator32);
  programmableBootstrapMany(ev.workspace, out, ev.smallCiphertext, lut, count, stride);
}
