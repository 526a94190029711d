// The model kinds `blindml train` knows, with the hyperparameters each class takes.
import {
  LinearRegression, LogisticRegression, LinearSVC, MLPClassifier,
  DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor,
  GradientBoostingClassifier, GradientBoostingRegressor,
} from "../ml/index.js";
import type { FheModel, ModelCompileOptions } from "../ml/index.js";
import { UsageError } from "./errors.js";

export const MODEL_KINDS = ["logistic", "linear", "svc", "tree", "forest", "gbdt", "mlp"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export type Task = "classification" | "regression";

export interface Hyperparameters {
  readonly task: Task;
  /** Bits of the quantized inputs (and weights / activations where the model has them). */
  readonly nBits?: number;
  readonly trees?: number;
  readonly depth?: number;
  readonly hidden?: readonly number[];
  readonly epochs?: number;
  readonly seed?: number;
  /** MLP: scale each feature to [0, 1] first (default true; false for data on one scale, e.g. pixels). */
  readonly standardize?: boolean;
  /** MLP training progress. */
  readonly onEpoch?: (epoch: number, loss: number, accuracy: number) => void;
}

const TASKS: Record<ModelKind, readonly Task[]> = {
  logistic: ["classification"], svc: ["classification"], mlp: ["classification"], linear: ["regression"],
  tree: ["classification", "regression"], forest: ["classification", "regression"], gbdt: ["classification", "regression"],
};

export function defaultTask(kind: ModelKind): Task {
  return TASKS[kind][0]!;
}

export function checkTask(kind: ModelKind, task: Task): void {
  if (!TASKS[kind].includes(task)) throw new UsageError(`--model ${kind} does only ${TASKS[kind].join(" and ")}, not ${task}`);
}

export function isTreeKind(kind: ModelKind): boolean {
  return kind === "tree" || kind === "forest" || kind === "gbdt";
}

/** An untrained model of this kind with these hyperparameters. */
export function createModel(kind: ModelKind, h: Hyperparameters): FheModel {
  checkTask(kind, h.task);
  const classify = h.task === "classification";
  const tree = { maxDepth: h.depth, nBits: h.nBits };
  const ensemble = { ...tree, nEstimators: h.trees, seed: h.seed };
  switch (kind) {
    case "logistic": return new LogisticRegression();
    case "svc": return new LinearSVC();
    case "linear": return new LinearRegression();
    case "tree": return classify ? new DecisionTreeClassifier(tree) : new DecisionTreeRegressor(tree);
    case "forest": return classify ? new RandomForestClassifier(ensemble) : new RandomForestRegressor(ensemble);
    case "gbdt": return classify ? new GradientBoostingClassifier(ensemble) : new GradientBoostingRegressor(ensemble);
    case "mlp": return new MLPClassifier(mlpOptions(h));
  }
}

function mlpOptions(h: Hyperparameters) {
  const bits = h.nBits === undefined ? {} : { inputBits: h.nBits, weightBits: h.nBits, activationBits: h.nBits };
  return { hidden: h.hidden ?? [64], epochs: h.epochs, seed: h.seed, onEpoch: h.onEpoch, standardize: h.standardize, ...bits };
}

/** Options of compile(): bit widths only for the linear models (trees and MLPs fix theirs at fit). */
export function compileOptions(kind: ModelKind, h: Hyperparameters, extra: { rounding?: number; pFail?: number }): ModelCompileOptions {
  const linear = kind === "logistic" || kind === "svc" || kind === "linear";
  return { nBits: linear ? h.nBits : undefined, rounding: extra.rounding, pFail: extra.pFail };
}

/** Which of --trees / --depth / --hidden / --epochs a kind ignores (to warn about them). */
export function ignoredHyperparameters(kind: ModelKind, given: { trees?: unknown; depth?: unknown; hidden?: unknown; epochs?: unknown }): string[] {
  const accepted: Record<ModelKind, readonly string[]> = {
    logistic: [], svc: [], linear: [], tree: ["depth"], forest: ["trees", "depth"], gbdt: ["trees", "depth"], mlp: ["hidden", "epochs"],
  };
  return Object.entries(given)
    .filter(([name, value]) => value !== undefined && !accepted[kind].includes(name))
    .map(([name]) => `--${name}`);
}
