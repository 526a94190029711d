// Typed errors for everything a blindml user can get wrong or receive damaged.
//
// Each error has a stable `code` (safe to branch on; messages may be reworded)
// and a message that says what happened and what to do about it.

/** The stable identifiers of blindml error kinds. */
export type BlindmlErrorCode =
  | "BLINDML_FORMAT"
  | "BLINDML_VERSION"
  | "BLINDML_PARAMETER_MISMATCH"
  | "BLINDML_KIND_MISMATCH"
  | "BLINDML_TOO_LARGE"
  | "BLINDML_CORRUPT"
  | "BLINDML_INSECURE_PARAMETERS"
  | "BLINDML_INVALID_ARGUMENT"
  // raised by the ML layer (src/ml) and the artifacts (src/artifacts)
  | "BLINDML_COMPILE"
  | "BLINDML_MODEL_STATE"
  | "BLINDML_MODEL_MISMATCH"
  | "BLINDML_ARTIFACT"
  | "BLINDML_WORKER";

/** Base class of every error blindml throws on purpose. */
export class BlindmlError extends Error {
  readonly code: BlindmlErrorCode;

  constructor(code: BlindmlErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = "BlindmlError";
  }
}

/** The bytes are not a blindml object at all (wrong magic, malformed header). */
export class FormatError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_FORMAT", message);
    this.name = "FormatError";
  }
}

/** The object was written in a container format version this build cannot read. */
export class VersionError extends BlindmlError {
  readonly foundVersion: number;
  readonly supportedVersions: readonly number[];

  constructor(foundVersion: number, supportedVersions: readonly number[]) {
    super(
      "BLINDML_VERSION",
      `Unsupported blindml format version ${foundVersion}; this build reads version ` +
        `${supportedVersions.join(", ")}. Use a blindml release that matches the one ` +
        `that wrote the object, or re-create the object with this release.`,
    );
    this.name = "VersionError";
    this.foundVersion = foundVersion;
    this.supportedVersions = supportedVersions;
  }
}

/** The object was made for a different parameter set than the one in use. */
export class ParameterMismatchError extends BlindmlError {
  readonly expectedParameters: string;
  readonly foundParameters: string;

  constructor(expectedParameters: string, foundParameters: string) {
    super(
      "BLINDML_PARAMETER_MISMATCH",
      `The object was made for parameter set ${foundParameters}, but ${expectedParameters} ` +
        `was expected. Keys and ciphertexts only work together when they share one ` +
        `parameter set: regenerate the object with ${expectedParameters}, or load the ` +
        `keys/model that use ${foundParameters}.`,
    );
    this.name = "ParameterMismatchError";
    this.expectedParameters = expectedParameters;
    this.foundParameters = foundParameters;
  }
}

/** The object is of another kind than expected (e.g. a ciphertext where keys were expected). */
export class KindMismatchError extends BlindmlError {
  readonly expectedKinds: readonly string[];
  readonly foundKind: string;

  constructor(expectedKinds: readonly string[], foundKind: string) {
    super(
      "BLINDML_KIND_MISMATCH",
      `Expected a blindml ${expectedKinds.join(" or ")}, but the bytes hold a ${foundKind}. ` +
        `Check that the right file or request field was passed.`,
    );
    this.name = "KindMismatchError";
    this.expectedKinds = expectedKinds;
    this.foundKind = foundKind;
  }
}

/** The object exceeds the size limit the caller set. */
export class TooLargeError extends BlindmlError {
  readonly sizeBytes: number;
  readonly limitBytes: number;

  constructor(sizeBytes: number, limitBytes: number) {
    super(
      "BLINDML_TOO_LARGE",
      `The object is ${sizeBytes} bytes, more than the limit of ${limitBytes} bytes. ` +
        `Raise the limit (maxBytes) if this size is expected, otherwise reject the input.`,
    );
    this.name = "TooLargeError";
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** The object failed its integrity check or is truncated. */
export class CorruptError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_CORRUPT", message);
    this.name = "CorruptError";
  }
}

/** A custom parameter set is below the 128-bit security bound. */
export class InsecureParametersError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_INSECURE_PARAMETERS", message);
    this.name = "InsecureParametersError";
  }
}

/** A function was called with an argument it cannot accept. */
export class InvalidArgumentError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_INVALID_ARGUMENT", message);
    this.name = "InvalidArgumentError";
  }
}
