// The public evaluation keys in compressed form: the mask seed and the bodies of the
// keyswitching key (u64 each) and of the bootstrapping key (rounded, 7 bytes each). This is what
// a client uploads once; a server expands it into an Evaluator (SPEC §4).
import type { ParameterSet } from "./params.js";
import { ObjectKind, allocateObject, decodeObject, ByteReader, ByteWriter } from "./format.js";
import { CorruptError } from "./errors.js";
import type { LoadedParameters } from "./core.js";
import { BSK_BODY_DROPPED_BITS, SizeOf } from "./core.js";

export class EvaluationKeys {
  readonly set: ParameterSet;
  readonly fingerprint: Uint8Array;
  /** Public seed of every mask stream of these keys. */
  readonly seed: Uint8Array;
  /** Bootstrapping-key bodies: n·(k+1)·l·N coefficients, (64 − d)/8 bytes each. */
  readonly bootstrapBodies: Uint8Array;
  /** Keyswitching-key bodies: k·N·l_ks words little-endian (u64, or u32 for a 2^32 keyswitch output). */
  readonly keyswitchBodies: Uint8Array;

  constructor(set: ParameterSet, fingerprint: Uint8Array, seed: Uint8Array, bootstrapBodies: Uint8Array, keyswitchBodies: Uint8Array) {
    this.set = set;
    this.fingerprint = fingerprint;
    this.seed = seed;
    this.bootstrapBodies = bootstrapBodies;
    this.keyswitchBodies = keyswitchBodies;
  }

  /** Serialized size: the compressed key as it travels. */
  get byteLength(): number {
    return 24 + 4 + EvaluationKeys.payloadLength(this.bootstrapBodies.length, this.keyswitchBodies.length);
  }

  private static payloadLength(bskBytes: number, kskBytes: number): number {
    return 1 + 32 + 8 + kskBytes + 8 + bskBytes;
  }

  /** Container payload: dropped bits d, seed, KSK bodies, BSK bodies (SPEC §7.2). */
  serialize(): Uint8Array {
    const object = allocateObject(
      ObjectKind.EvaluationKeys, this.fingerprint,
      EvaluationKeys.payloadLength(this.bootstrapBodies.length, this.keyswitchBodies.length),
    );
    new ByteWriter(object.payload)
      .u8(BSK_BODY_DROPPED_BITS)
      .bytes(this.seed)
      .u64(this.keyswitchBodies.length).bytes(this.keyswitchBodies)
      .u64(this.bootstrapBodies.length).bytes(this.bootstrapBodies);
    return object.seal();
  }

  /** Validates every length against the parameter set before copying anything. */
  static deserialize(params: LoadedParameters, bytes: Uint8Array, maxBytes?: number): EvaluationKeys {
    const { payload } = decodeObject(bytes, { kind: ObjectKind.EvaluationKeys, fingerprint: params.fingerprint, maxBytes });
    const r = new ByteReader(payload);
    const dropped = r.u8();
    if (dropped !== BSK_BODY_DROPPED_BITS) {
      throw new CorruptError(`Evaluation keys drop ${dropped} body bits; this build reads ${BSK_BODY_DROPPED_BITS}.`);
    }
    const seed = r.bytes(32).slice();
    const kskLength = r.u64AsNumber();
    if (kskLength !== params.size(SizeOf.CompressedKskBodies)) {
      throw new CorruptError(`Keyswitching key has ${kskLength} bytes; the parameter set needs ${params.size(SizeOf.CompressedKskBodies)}.`);
    }
    const ksk = r.bytes(kskLength).slice();
    const bskLength = r.u64AsNumber();
    if (bskLength !== params.size(SizeOf.CompressedBskBodies)) {
      throw new CorruptError(`Bootstrapping key has ${bskLength} bytes; the parameter set needs ${params.size(SizeOf.CompressedBskBodies)}.`);
    }
    const bsk = r.bytes(bskLength).slice();
    r.expectEnd();
    return new EvaluationKeys(params.set, params.fingerprint, seed, bsk, ksk);
  }
}
