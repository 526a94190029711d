// Typed errors of the artifact layer (model files, queries, results).
import { BlindmlError } from "../engine/index.js";

/** A model artifact is unreadable, damaged, of another role or of an incompatible version. */
export class ArtifactError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_ARTIFACT", message);
    this.name = "ArtifactError";
  }
}
