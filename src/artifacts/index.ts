// Model artifacts and the deployment classes (browser-safe). Node file helpers: "blindml/node".
export { ModelClient } from "./client.js";
export type { Prediction } from "./client.js";
export { ModelServer } from "./server.js";
export type { ModelServerOptions, RunInfo } from "./server.js";
export {
  packServer, packClient, unpackServer, unpackClient, packModelTarball, unpackModelTarball, circuitId,
  checkFormatVersion, ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION,
} from "./package.js";
export type { Manifest, ServerArtifact, ClientArtifact } from "./package.js";
export { encodeQuery, decodeQuery, encodeResult, decodeResult } from "./wire.js";
export type { EncryptedQuery, EncryptedResult } from "./wire.js";
export { ArtifactError } from "./errors.js";
