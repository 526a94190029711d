// Scores of a trained and compiled model on held-out rows, in three modes: the float model, the
// quantized circuit in the clear, and the same circuit with the modelled FHE noise (simulate).
import type { FheModel } from "../ml/index.js";
import type { Task } from "./models.js";
import { progressBar } from "./progress.js";

export interface ModeScores {
  readonly metric: "accuracy" | "R²";
  readonly float: number;
  readonly quantized: number;
  readonly simulate: number;
  /** The quantized circuit's predictions (what an encrypted run decrypts to, noise aside). */
  readonly quantizedPredictions: number[];
}

/** Rows per simulate / clear batch (one progress step). */
const BATCH_ROWS = 32;

export function scoreModes(model: FheModel, task: Task, rows: number[][], targets: number[]): ModeScores {
  const metric = task === "classification" ? accuracy : rSquared;
  const quantized: number[] = [];
  const simulated: number[] = [];
  const progress = progressBar("Evaluating", rows.length, "rows");
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const batch = rows.slice(start, start + BATCH_ROWS);
    quantized.push(...model.predict(batch));
    simulated.push(...model.predict(batch, { fhe: "simulate" }));
    progress.update(start + batch.length);
  }
  progress.finish(`${rows.length} rows, float / quantized / simulate`);
  return {
    metric: task === "classification" ? "accuracy" : "R²",
    float: metric(model.predictFloat(rows), targets),
    quantized: metric(quantized, targets),
    simulate: metric(simulated, targets),
    quantizedPredictions: quantized,
  };
}

export function accuracy(predictions: readonly number[], targets: readonly number[]): number {
  const hits = predictions.filter((p, i) => p === targets[i]).length;
  return predictions.length === 0 ? NaN : hits / predictions.length;
}

/** Coefficient of determination 1 − SS_res / SS_tot. */
export function rSquared(predictions: readonly number[], targets: readonly number[]): number {
  const mean = targets.reduce((a, b) => a + b, 0) / targets.length;
  const residual = targets.reduce((sum, y, i) => sum + (y - predictions[i]!) ** 2, 0);
  const total = targets.reduce((sum, y) => sum + (y - mean) ** 2, 0);
  return total > 0 ? 1 - residual / total : NaN;
}
