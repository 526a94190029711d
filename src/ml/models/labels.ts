// Class labels ↔ indices: models accept any numeric labels and report them back in predictions.
import { ModelStateError } from "../errors.js";

/** Sorted distinct labels and each row's index among them. */
export function labelIndices(y: ArrayLike<number>): { indices: Int32Array; classes: number[] } {
  const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
  if (classes.length < 2) throw new ModelStateError(`A classifier needs at least two classes; the labels hold ${classes.length}.`);
  if (classes.some((c) => !Number.isFinite(c))) throw new ModelStateError("Class labels must be finite numbers.");
  const index = new Map(classes.map((c, i) => [c, i]));
  return { indices: Int32Array.from(y as ArrayLike<number>, (v) => index.get(v)!), classes };
}
