// blindml/engine: the TFHE engine's public TypeScript API (see docs/SPEC.md).
export { loadEngine, Engine } from "./engine.js";
export type { ReadOptions } from "./engine.js";
export { ClientKey } from "./client-key.js";
export type { EncryptOptions, EncryptManyOptions, EncryptGlweOptions } from "./client-key.js";
export { EvaluationKeys } from "./evaluation-keys.js";
export { Evaluator } from "./evaluator.js";
export type { ExpandedKeys, LookupTableOptions } from "./evaluator.js";
export { Ciphertext, SeededCiphertextList } from "./ciphertext.js";
export type { KeyKind } from "./ciphertext.js";
export { GlweCiphertext, SeededGlweCiphertext } from "./glwe-ciphertext.js";
export { LweVector, wordsPerCiphertext } from "./lwe-vector.js";
export type { SeededLweVector } from "./lwe-vector.js";
export { LookupTable, tableCoefficients, manyTableCoefficients } from "./lookup-table.js";
export { makeEncoding, defaultEncoding, encodeMessage, decodePhase, phaseError } from "./encoding.js";
export type { Encoding, EncodingOptions } from "./encoding.js";
export { instantiateEngine } from "./wasm.js";
export type { EngineExports, WasmSource } from "./wasm.js";
export {
  BlindmlError, FormatError, VersionError, ParameterMismatchError, KindMismatchError,
  TooLargeError, CorruptError, InsecureParametersError, InvalidArgumentError,
} from "./errors.js";
export type { BlindmlErrorCode } from "./errors.js";
export {
  PARAMETER_SETS, TUNIFORM_BOUND_FLOOR, FINGERPRINT_BYTES, securityCheck, validateParameterSet,
  customParameterSet, smallKeyModulusLog2, minimalTUniformBound, minimalGaussianLog2StdDev, parameterFingerprint,
  parameterSetByFingerprint, canonicalParameterBytes, fnv1a64, derivedSizes, tUniformIntegerVariance,
  freshLweVariance, keyswitchVariance, keyswitchKeyNarrowingVariance, KEYSWITCH_EVALUATION_MODULUS_LOG2, modulusSwitchVariance, plainModulusSwitchVariance, pbsOutputVariance,
  erfc, log2Erfc, pFailFromVariance, log2PFailFromVariance, log2PFailPerBootstrap, FFT_ERROR_COEFFICIENT,
} from "./params.js";
export type {
  ParameterSet, ParameterSetName, ParameterSetFields, NoiseDistribution, SecurityReport, KeySecurity, DerivedSizes,
} from "./params.js";
export {
  ObjectKind, objectKindName, encodeObject, allocateObject, decodeObject, ByteWriter, ByteReader,
  FORMAT_MAGIC, FORMAT_VERSION, SUPPORTED_FORMAT_VERSIONS, HEADER_BYTES, TRAILER_BYTES, MAX_PAYLOAD_BYTES,
} from "./format.js";
export type { AllocatedObject, DecodeExpectations, DecodedObject } from "./format.js";
export { crc32c } from "./checksum.js";
export { WasmResource } from "./resource.js";
