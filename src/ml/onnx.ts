// ONNX import: parses ONNX model bytes into the plain float model descriptions of ./types.ts.
//
// Supported graphs (everything else is rejected with an OnnxImportError that says why):
// - Dense networks, as torch.onnx.export writes an nn.Sequential of Linear / ReLU (opsets 7–21):
//   one chain from the single graph input through Gemm (transA = 0, any transB / alpha / beta),
//   MatMul (+ Add of a constant bias), Relu, and pass-through Flatten / Reshape / Identity /
//   Dropout / Cast-to-float nodes, optionally ending in Sigmoid or Softmax (last axis). Weights come
//   from initializers or Constant nodes (float32 / float64, raw_data or typed fields).
// - ai.onnx.ml LinearClassifier / LinearRegressor / TreeEnsembleClassifier / TreeEnsembleRegressor
//   (one per graph), optionally behind pass-through Identity / Cast / Flatten / Reshape nodes and
//   followed by the ZipMap / Cast / Identity / Normalizer(L1, where it cannot change the scores)
//   nodes skl2onnx appends. The probability map output of ZipMap is ignored: evaluateImported
//   returns the score tensor.
//
// Binary classifiers with a single score column s (skl2onnx's layout for LogisticRegression after
// collapsing its [−w; w] rows, and for binary tree ensembles) keep ONE output column in the
// parameters; their probabilities are [σ(−s), σ(s)] for postTransform "logistic", and for "none"
// [1 − s, s] when every leaf value and base value is ≥ 0 (tree probabilities) or [−s, s] otherwise.
//
// Trees are converted to TreeParams' "x[feature] <= threshold goes left" form: BRANCH_LEQ t keeps t,
// BRANCH_LT t uses the largest float64 below t, BRANCH_GT / BRANCH_GTE use t / its predecessor with
// the children swapped. These are exact for every float64 input. ONNX runtimes cast inputs to the
// graph input's type (float32 in practice) before comparing, so evaluateImported matches them
// exactly for float32-representable inputs. Missing-value tracking (NaN inputs) is not modelled.

import protobuf from "protobufjs/light.js";
import { ONNX_SCHEMA } from "./onnx-schema.js";
import type { DenseMatrix, LinearParams, MlpLayerParams, MlpParams, TreeEnsembleParams, TreeParams } from "./types.js";

// --------------------------------------------------------------------------------------------
// Public types

export type PostTransform = "none" | "logistic" | "softmax";

export type ImportedModel =
  | {
      kind: "mlp";
      params: MlpParams;
      output: "logits" | "softmax" | "sigmoid";
      inputName: string;
      inputSize: number;
    }
  | {
      kind: "linear";
      params: LinearParams;
      task: "regression" | "classification";
      postTransform: PostTransform;
      classLabels?: number[];
      inputName: string;
      inputSize: number;
    }
  | {
      kind: "tree-ensemble";
      params: TreeEnsembleParams;
      task: "regression" | "classification";
      postTransform: PostTransform;
      classLabels?: number[];
      inputName: string;
      inputSize: number;
    };

export type OnnxImportErrorCode = "UNSUPPORTED_OPERATOR" | "MALFORMED" | "UNSUPPORTED_GRAPH";

/** Thrown by parseOnnx for every model it cannot import; `code` tells why. */
export class OnnxImportError extends Error {
  readonly code: OnnxImportErrorCode;
  /** The offending operator ("Conv", or "com.microsoft:FusedGemm" outside the standard domains). */
  readonly operator: string | undefined;
  /** The offending node's name, when there is one. */
  readonly node: string | undefined;

  constructor(code: OnnxImportErrorCode, message: string, options: { operator?: string; node?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OnnxImportError";
    this.code = code;
    this.operator = options.operator;
    this.node = options.node;
  }
}

// --------------------------------------------------------------------------------------------
// Decoded protobuf shapes (what protobufjs returns for ONNX_SCHEMA; int64 fields are numbers or Longs)

type Int64 = number | { low: number; high: number; unsigned?: boolean };

interface PbTensor {
  dims: Int64[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  double_data: number[];
  uint64_data: Int64[];
  external_data: unknown[];
  data_location: number;
}
interface PbAttribute {
  name: string;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: PbTensor | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: PbTensor[];
  type: number;
  ref_attr_name: string;
}
interface PbNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: PbAttribute[];
  domain: string;
}
interface PbDimension {
  dim_value?: Int64;
  dim_param?: string;
}
interface PbTypeProto {
  tensor_type?: { elem_type: number; shape: { dim: PbDimension[] } | null } | null;
}
interface PbValueInfo {
  name: string;
  type: PbTypeProto | null;
}
interface PbGraph {
  node: PbNode[];
  name: string;
  initializer: PbTensor[];
  input: PbValueInfo[];
  output: PbValueInfo[];
}
interface PbModel {
  ir_version: Int64;
  producer_name: string;
  graph: PbGraph | null;
  opset_import: { domain: string; version: Int64 }[];
}

// ONNX TensorProto.DataType values
const DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_UINT16 = 4, DT_INT16 = 5, DT_INT32 = 6, DT_INT64 = 7;
const DT_BOOL = 9, DT_FLOAT16 = 10, DT_DOUBLE = 11, DT_UINT32 = 12, DT_UINT64 = 13;
const DATA_TYPE_NAMES: Record<number, string> = {
  0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING",
  9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
};

// AttributeProto.AttributeType values
const AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_FLOATS = 6, AT_INTS = 7, AT_STRINGS = 8;

const ML_DOMAIN = "ai.onnx.ml";

// --------------------------------------------------------------------------------------------
// Decoding

let modelType: protobuf.Type | undefined;
function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType("onnx.ModelProto");
  return modelType;
}

const utf8 = new TextDecoder("utf-8");

function malformed(message: string, cause?: unknown): OnnxImportError {
  return new OnnxImportError("MALFORMED", `Malformed ONNX model: ${message}`, { cause });
}

function decodeModel(bytes: Uint8Array): PbModel {
  if (!(bytes instanceof Uint8Array)) throw malformed("expected the model as a Uint8Array of bytes.");
  if (bytes.length === 0) throw malformed("the input is empty (0 bytes).");
  let decoded: unknown;
  try {
    const reader = protobuf.Reader.create(bytes);
    (reader as unknown as { discardUnknown: boolean }).discardUnknown = true;
    decoded = onnxModelType().decode(reader);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    if (/index out of range/i.test(detail)) {
      throw malformed(`the protobuf data ends in the middle of a field after ${bytes.length} bytes (truncated file?).`, e);
    }
    throw malformed(`the bytes are not a valid ONNX protobuf message (${detail}).`, e);
  }
  const model = decoded as PbModel;
  const irVersion = toInt(model.ir_version, "ir_version");
  if (irVersion < 1 || irVersion > 100) {
    throw malformed(irVersion === 0 ? "no ir_version: this is not an ONNX ModelProto." : `implausible ir_version ${irVersion}: this is not an ONNX ModelProto.`);
  }
  if (!model.graph) throw malformed("the model has no graph.");
  if (model.opset_import.length === 0) throw malformed("the model declares no opset_import.");
  return model;
}

function toInt(v: Int64 | undefined | null, what: string): number {
  if (v === undefined || v === null) return 0;
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "object" && typeof v.low === "number" && typeof v.high === "number") {
    n = v.unsigned ? (v.high >>> 0) * 4294967296 + (v.low >>> 0) : (v.high | 0) * 4294967296 + (v.low >>> 0);
  } else throw malformed(`${what} is not an integer.`);
  if (!Number.isSafeInteger(n)) throw malformed(`${what} (${n}) is out of range.`);
  return n;
}

function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

// --------------------------------------------------------------------------------------------
// Tensors and attributes

interface Tensor {
  dims: number[];
  data: Float64Array;
}

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function readTensor(t: PbTensor, what: string): Tensor {
  const dims = t.dims.map((d, i) => {
    const n = toInt(d, `dimension ${i} of ${what}`);
    if (n < 0) throw malformed(`${what} has a negative dimension (${n}).`);
    return n;
  });
  const count = size(dims);
  if (t.data_location === 1 || t.external_data.length > 0) {
    throw new OnnxImportError("UNSUPPORTED_GRAPH", `Tensor ${what} is stored as external data; save the model with all tensors inside the .onnx file.`);
  }
  const type = t.data_type;
  const typeName = DATA_TYPE_NAMES[type] ?? `data type ${type}`;
  let data: Float64Array;
  const raw = t.raw_data;
  if (raw && raw.length > 0) {
    const width = ({ [DT_FLOAT]: 4, [DT_DOUBLE]: 8, [DT_INT64]: 8, [DT_INT32]: 4, [DT_UINT8]: 1, [DT_INT8]: 1, [DT_UINT16]: 2, [DT_INT16]: 2, [DT_BOOL]: 1, [DT_UINT32]: 4, [DT_UINT64]: 8, [DT_FLOAT16]: 2 } as Record<number, number>)[type];
    if (width === undefined) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Tensor ${what} has unsupported element type ${typeName}.`);
    if (raw.length !== count * width) throw malformed(`tensor ${what} holds ${raw.length} bytes of raw_data; its shape [${dims.join(", ")}] of ${typeName} needs ${count * width}.`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const o = k * width;
      switch (type) {
        case DT_FLOAT: data[k] = view.getFloat32(o, true); break;
        case DT_DOUBLE: data[k] = view.getFloat64(o, true); break;
        case DT_INT64: data[k] = Number(view.getBigInt64(o, true)); break;
        case DT_UINT64: data[k] = Number(view.getBigUint64(o, true)); break;
        case DT_INT32: data[k] = view.getInt32(o, true); break;
        case DT_UINT32: data[k] = view.getUint32(o, true); break;
        case DT_INT16: data[k] = view.getInt16(o, true); break;
        case DT_UINT16: data[k] = view.getUint16(o, true); break;
        case DT_INT8: data[k] = view.getInt8(o); break;
        case DT_FLOAT16: data[k] = halfToFloat(view.getUint16(o, true)); break;
        default: data[k] = view.getUint8(o); // UINT8, BOOL
      }
    }
  } else {
    let values: ArrayLike<number>;
    switch (type) {
      case DT_FLOAT: values = t.float_data; break;
      case DT_DOUBLE: values = t.double_data; break;
      case DT_INT64: values = t.int64_data.map((v) => toInt(v, `an element of ${what}`)); break;
      case DT_UINT32: case DT_UINT64: values = t.uint64_data.map((v) => toInt(v, `an element of ${what}`)); break;
      case DT_INT32: case DT_INT16: case DT_INT8: case DT_UINT16: case DT_UINT8: case DT_BOOL: values = t.int32_data; break;
      case DT_FLOAT16: values = t.int32_data.map(halfToFloat); break;
      default: throw new OnnxImportError("UNSUPPORTED_GRAPH", `Tensor ${what} has unsupported element type ${typeName}.`);
    }
    if (values.length !== count) throw malformed(`tensor ${what} holds ${values.length} values; its shape [${dims.join(", ")}] needs ${count}.`);
    data = Float64Array.from(values);
  }
  return { dims, data };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function nodeLabel(node: PbNode, index: number): string {
  return node.name ? `node "${node.name}"` : `node #${index}`;
}

/** Typed attribute access for one node. */
class Attributes {
  private readonly map = new Map<string, PbAttribute>();
  constructor(private readonly node: PbNode, private readonly where: string) {
    for (const a of node.attribute) {
      if (a.ref_attr_name) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Attribute "${a.name}" of ${where} refers to a function attribute; functions are not supported.`);
      this.map.set(a.name, a);
    }
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  private get(name: string, types: number[], field: keyof PbAttribute): PbAttribute | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.type !== 0 && !types.includes(a.type)) throw malformed(`attribute "${name}" of ${this.where} (${this.node.op_type}) has the wrong type (${a.type}).`);
    if (a.type === 0 && !has(a, field as string) && !(Array.isArray(a[field]) && (a[field] as unknown[]).length > 0)) {
      throw malformed(`attribute "${name}" of ${this.where} (${this.node.op_type}) has no value.`);
    }
    return a;
  }
  float(name: string, dflt: number): number {
    const a = this.get(name, [AT_FLOAT], "f");
    return a ? a.f : dflt;
  }
  int(name: string, dflt: number): number {
    const a = this.get(name, [AT_INT], "i");
    return a ? toInt(a.i, `attribute "${name}" of ${this.where}`) : dflt;
  }
  string(name: string, dflt: string): string {
    const a = this.get(name, [AT_STRING], "s");
    return a ? utf8.decode(a.s) : dflt;
  }
  floats(name: string): number[] | undefined {
    const a = this.get(name, [AT_FLOATS], "floats");
    return a ? a.floats : undefined;
  }
  ints(name: string): number[] | undefined {
    const a = this.get(name, [AT_INTS], "ints");
    return a ? a.ints.map((v) => toInt(v, `attribute "${name}" of ${this.where}`)) : undefined;
  }
  strings(name: string): string[] | undefined {
    const a = this.get(name, [AT_STRINGS], "strings");
    return a ? a.strings.map((s) => utf8.decode(s)) : undefined;
  }
  tensor(name: string): Tensor | undefined {
    const a = this.get(name, [AT_TENSOR], "t");
    if (!a) return undefined;
    if (!a.t) throw malformed(`attribute "${name}" of ${this.where} has no tensor.`);
    return readTensor(a.t, `attribute "${name}" of ${this.where}`);
  }
  /** A float list given either as `name` (float32) or `name_as_tensor` (float64). */
  floatsOrTensor(name: string): number[] | undefined {
    const t = this.tensor(`${name}_as_tensor`);
    if (t) return Array.from(t.data);
    return this.floats(name);
  }
}

// --------------------------------------------------------------------------------------------
// Graph analysis

const DENSE_OPS = new Set(["Gemm", "MatMul", "Add", "Relu", "Sigmoid", "Softmax", "Flatten", "Reshape", "Identity", "Dropout", "Cast", "Constant"]);
const ML_CORE_OPS = new Set(["LinearClassifier", "LinearRegressor", "TreeEnsembleClassifier", "TreeEnsembleRegressor"]);
const ML_POST_OPS = new Set(["ZipMap", "Normalizer"]);
const PASS_THROUGH = new Set(["Identity", "Dropout", "Cast", "Flatten", "Reshape"]);

interface GraphContext {
  graph: PbGraph;
  defaultOpset: number;
  constants: Map<string, Tensor>;
  inputName: string;
  /** Product of the input's non-batch dimensions, when the graph declares them. */
  inputWidth: number | undefined;
}

function isDefaultDomain(domain: string): boolean {
  return domain === "" || domain === "ai.onnx";
}

function checkOperators(graph: PbGraph): void {
  graph.node.forEach((node, i) => {
    const op = node.op_type;
    const supported = isDefaultDomain(node.domain) ? DENSE_OPS.has(op) : node.domain === ML_DOMAIN ? ML_CORE_OPS.has(op) || ML_POST_OPS.has(op) : false;
    if (!supported) {
      const name = isDefaultDomain(node.domain) || node.domain === ML_DOMAIN ? op : `${node.domain}:${op}`;
      throw new OnnxImportError("UNSUPPORTED_OPERATOR", `Unsupported ONNX operator "${name}" (${nodeLabel(node, i)}).`, {
        operator: name,
        node: node.name || undefined,
      });
    }
  });
}

function buildContext(model: PbModel): GraphContext {
  const graph = model.graph!;
  let defaultOpset = 0;
  for (const o of model.opset_import) if (isDefaultDomain(o.domain)) defaultOpset = toInt(o.version, "opset version");

  const constants = new Map<string, Tensor>();
  for (const t of graph.initializer) {
    if (!t.name) throw malformed("an initializer has no name.");
    constants.set(t.name, readTensor(t, `initializer "${t.name}"`));
  }
  graph.node.forEach((node, i) => {
    if (node.op_type !== "Constant" || !isDefaultDomain(node.domain)) return;
    const where = nodeLabel(node, i);
    const attrs = new Attributes(node, where);
    let value: Tensor | undefined = attrs.tensor("value");
    if (!value && attrs.has("value_float")) value = { dims: [], data: Float64Array.of(attrs.float("value_float", 0)) };
    if (!value && attrs.has("value_floats")) { const v = attrs.floats("value_floats")!; value = { dims: [v.length], data: Float64Array.from(v) }; }
    if (!value && attrs.has("value_int")) value = { dims: [], data: Float64Array.of(attrs.int("value_int", 0)) };
    if (!value && attrs.has("value_ints")) { const v = attrs.ints("value_ints")!; value = { dims: [v.length], data: Float64Array.from(v) }; }
    if (!value) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Constant ${where} has no numeric value attribute.`);
    if (node.output.length !== 1 || !node.output[0]) throw malformed(`Constant ${where} must have exactly one output.`);
    constants.set(node.output[0], value);
  });

  const inputs = graph.input.filter((v) => !constants.has(v.name));
  if (inputs.length !== 1) {
    throw new OnnxImportError("UNSUPPORTED_GRAPH", `The graph must have exactly one (non-initializer) input; it has ${inputs.length}${inputs.length ? ` (${inputs.map((v) => `"${v.name}"`).join(", ")})` : ""}.`);
  }
  const input = inputs[0]!;
  let inputWidth: number | undefined;
  const shape = input.type?.tensor_type?.shape;
  if (input.type && !input.type.tensor_type) throw new OnnxImportError("UNSUPPORTED_GRAPH", `The graph input "${input.name}" is not a tensor.`);
  if (shape && shape.dim.length >= 1) {
    const rest = shape.dim.length === 1 ? shape.dim : shape.dim.slice(1); // [features] or [batch, …features]
    if (rest.every((d) => has(d, "dim_value") && toInt(d.dim_value, "an input dimension") > 0)) {
      inputWidth = size(rest.map((d) => toInt(d.dim_value, "an input dimension")));
    }
  }
  return { graph, defaultOpset, constants, inputName: input.name, inputWidth };
}

function checkOpsetImports(model: PbModel): void {
  const declared = new Set(model.opset_import.map((o) => (isDefaultDomain(o.domain) ? "" : o.domain)));
  model.graph!.node.forEach((node, i) => {
    const domain = isDefaultDomain(node.domain) ? "" : node.domain;
    if (!declared.has(domain)) {
      throw malformed(`${nodeLabel(node, i)} (${node.op_type}) belongs to the operator set "${domain || "ai.onnx"}", which the model does not import (truncated file?).`);
    }
  });
}

function importModel(model: PbModel): ImportedModel {
  const graph = model.graph!;
  checkOpsetImports(model);
  checkOperators(graph);
  const ctx = buildContext(model);
  const core = graph.node.filter((n) => n.domain === ML_DOMAIN && ML_CORE_OPS.has(n.op_type));
  if (core.length > 1) throw new OnnxImportError("UNSUPPORTED_GRAPH", `The graph holds ${core.length} ai.onnx.ml models (${core.map((n) => n.op_type).join(", ")}); only one is supported.`);
  return core.length === 1 ? importMlGraph(ctx, core[0]!) : importDenseGraph(ctx);
}

/** The non-constant inputs of a node. */
function dataInputs(ctx: GraphContext, node: PbNode): string[] {
  return node.input.filter((name) => name !== "" && !ctx.constants.has(name));
}

function constantInput(ctx: GraphContext, node: PbNode, index: number, where: string): Tensor | undefined {
  const name = node.input[index];
  if (name === undefined || name === "") return undefined;
  const t = ctx.constants.get(name);
  if (!t) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Input ${index} ("${name}") of ${where} (${node.op_type}) must be a constant (initializer or Constant node).`);
  return t;
}

const FLOAT_TYPES = new Set([DT_FLOAT, DT_DOUBLE, DT_FLOAT16]);

/** Pass-through nodes on a 2-D batch × width value. Returns the width, which a Reshape may fix. */
function passThrough(ctx: GraphContext, node: PbNode, where: string, width: number | undefined): number | undefined {
  const attrs = new Attributes(node, where);
  switch (node.op_type) {
    case "Identity":
    case "Dropout":
      return width;
    case "Cast": {
      const to = attrs.int("to", 0);
      if (!FLOAT_TYPES.has(to)) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Cast ${where} converts to ${DATA_TYPE_NAMES[to] ?? to}; only casts to floating-point types are supported on the data path.`);
      return width;
    }
    case "Flatten": {
      const axis = attrs.int("axis", 1);
      if (axis !== 1) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Flatten ${where} uses axis ${axis}; only axis 1 (keep the batch dimension) is supported.`);
      return width;
    }
    case "Reshape": {
      let shape: number[];
      if (node.input.length >= 2 && node.input[1]) shape = Array.from(constantInput(ctx, node, 1, where)!.data);
      else if (attrs.has("shape")) shape = attrs.ints("shape")!;
      else throw malformed(`Reshape ${where} has no target shape.`);
      if (attrs.int("allowzero", 0) === 1 && shape.includes(0)) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Reshape ${where} uses allowzero with a 0 dimension.`);
      const bad = () => new OnnxImportError("UNSUPPORTED_GRAPH", `Reshape ${where} to [${shape.join(", ")}] is not supported; only reshapes to [batch, ${width ?? "features"}] are.`);
      if (shape.length !== 2) throw bad();
      const [b, w] = shape as [number, number];
      if (w === -1) {
        if (b !== 0 && b !== 1) throw bad();
        return width;
      }
      if (b !== -1 && b !== 0 && b !== 1) throw bad();
      if (width !== undefined && w !== width) throw bad();
      return w;
    }
  }
  throw new Error(`unreachable: ${node.op_type}`);
}

interface MutableLayer {
  weights: Float64Array; // out × in
  rows: number;
  cols: number;
  bias: Float64Array;
  activation: "relu" | "identity";
}

function importDenseGraph(ctx: GraphContext): ImportedModel {
  const { graph } = ctx;
  let cur = ctx.inputName;
  let width = ctx.inputWidth;
  let inputSize: number | undefined;
  const layers: MutableLayer[] = [];
  let biasOpen = false; // the last layer can still take an Add bias / a Relu
  let output: "logits" | "softmax" | "sigmoid" = "logits";
  let finished = false;

  graph.node.forEach((node, i) => {
    if (node.op_type === "Constant") return;
    const where = nodeLabel(node, i);
    const inputs = dataInputs(ctx, node);
    if (inputs.length !== 1 || inputs[0] !== cur || node.output.length < 1 || !node.output[0]) {
      throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} (${node.op_type}) does not continue the single chain of operations from the input "${ctx.inputName}"; only sequential graphs are supported.`, { node: node.name || undefined });
    }
    const afterHead = () => new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} (${node.op_type}) follows the ${output} output; ${output === "sigmoid" ? "Sigmoid" : "Softmax"} is supported only as the last operation.`, { node: node.name || undefined });
    const attrs = new Attributes(node, where);
    switch (node.op_type) {
      case "Gemm":
      case "MatMul": {
        if (finished) throw afterHead();
        if (node.input[0] !== cur) throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} (${node.op_type}) multiplies a constant by the data; only data × weights is supported.`);
        const B = constantInput(ctx, node, 1, where)!;
        if (B.dims.length !== 2) throw new OnnxImportError("UNSUPPORTED_GRAPH", `The weight of ${where} (${node.op_type}) has shape [${B.dims.join(", ")}]; a 2-D matrix is required.`);
        let alpha = 1, beta = 1, transB = 0;
        if (node.op_type === "Gemm") {
          if (attrs.int("transA", 0) !== 0) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Gemm ${where} uses transA = 1.`);
          alpha = attrs.float("alpha", 1);
          beta = attrs.float("beta", 1);
          transB = attrs.int("transB", 0);
        }
        const [b0, b1] = B.dims as [number, number];
        const inDim = transB ? b1 : b0, outDim = transB ? b0 : b1;
        if (width !== undefined && width !== inDim) throw malformed(`${where} (${node.op_type}) expects ${inDim} inputs but receives ${width}.`);
        if (inputSize === undefined) inputSize = inDim;
        const weights = new Float64Array(outDim * inDim);
        for (let o = 0; o < outDim; o++) {
          for (let k = 0; k < inDim; k++) weights[o * inDim + k] = alpha * (transB ? B.data[o * b1 + k]! : B.data[k * b1 + o]!);
        }
        const bias = new Float64Array(outDim);
        if (node.op_type === "Gemm") {
          const C = constantInput(ctx, node, 2, where);
          if (C) addBias(bias, C, beta, where);
        }
        layers.push({ weights, rows: outDim, cols: inDim, bias, activation: "identity" });
        biasOpen = true;
        width = outDim;
        break;
      }
      case "Add": {
        if (finished) throw afterHead();
        const last = layers[layers.length - 1];
        if (!last || !biasOpen) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Add ${where} does not directly follow a MatMul / Gemm; only bias additions are supported.`);
        const constIndex = node.input[0] === cur ? 1 : 0;
        const c = constantInput(ctx, node, constIndex, where)!;
        addBias(last.bias, c, 1, where);
        break;
      }
      case "Relu": {
        if (finished) throw afterHead();
        const last = layers[layers.length - 1];
        if (!last) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Relu ${where} is applied to the input before any Gemm / MatMul.`);
        if (!biasOpen && last.activation !== "relu") throw new OnnxImportError("UNSUPPORTED_GRAPH", `Relu ${where} cannot be attached to a layer.`);
        last.activation = "relu";
        biasOpen = false;
        break;
      }
      case "Sigmoid":
      case "Softmax": {
        if (finished) throw afterHead();
        if (layers.length === 0) throw new OnnxImportError("UNSUPPORTED_GRAPH", `${node.op_type} ${where} is applied before any Gemm / MatMul.`);
        if (node.op_type === "Softmax") {
          const axis = attrs.int("axis", ctx.defaultOpset >= 13 ? -1 : 1);
          if (axis !== -1 && axis !== 1) throw new OnnxImportError("UNSUPPORTED_GRAPH", `Softmax ${where} uses axis ${axis}; only the feature axis (1 / -1) is supported.`);
        }
        output = node.op_type === "Softmax" ? "softmax" : "sigmoid";
        finished = true;
        biasOpen = false;
        break;
      }
      default: {
        width = passThrough(ctx, node, where, width);
      }
    }
    cur = node.output[0]!;
  });

  if (layers.length === 0) throw new OnnxImportError("UNSUPPORTED_GRAPH", "The graph has no Gemm / MatMul layer: nothing to import.");
  checkSingleOutput(graph, cur);
  if (ctx.inputWidth !== undefined && ctx.inputWidth !== inputSize) {
    throw malformed(`the input "${ctx.inputName}" has ${ctx.inputWidth} features but the first layer takes ${inputSize}.`);
  }
  const params: MlpParams = {
    layers: layers.map((l): MlpLayerParams => ({ weights: { rows: l.rows, cols: l.cols, data: l.weights }, bias: l.bias, activation: l.activation })),
  };
  return { kind: "mlp", params, output, inputName: ctx.inputName, inputSize: inputSize! };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function addBias(bias: Float64Array, c: Tensor, scale: number, where: string): void {
  const n = bias.length;
  const count = c.data.length;
  const leading = c.dims.slice(0, -1);
  if (count === 1) {
    for (let o = 0; o < n; o++) bias[o]! += scale * c.data[0]!;
  } else if (count === n && leading.every((d) => d === 1) && c.dims[c.dims.length - 1] === n) {
    for (let o = 0; o < n; o++) bias[o]! += scale * c.data[o]!;
  } else {
    throw new OnnxImportError("UNSUPPORTED_GRAPH", `The bias of ${where} has shape [${c.dims.join(", ")}]; it must broadcast over the batch as a vector of ${n}.`);
  }
}

function checkSingleOutput(graph: PbGraph, cur: string): void {
  if (graph.output.length !== 1 || graph.output[0]!.name !== cur) {
    throw new OnnxImportError("UNSUPPORTED_GRAPH", `The graph must have exactly one output, the end of the chain ("${cur}"); it has ${graph.output.map((o) => `"${o.name}"`).join(", ") || "none"}.`);
  }
}

// --------------------------------------------------------------------------------------------
// ai.onnx.ml graphs

function parsePostTransform(s: string, where: string): PostTransform {
  switch (s) {
    case "NONE": return "none";
    case "LOGISTIC": return "logistic";
    case "SOFTMAX": return "softmax";
    case "SOFTMAX_ZERO": case "PROBIT":
      throw new OnnxImportError("UNSUPPORTED_GRAPH", `post_transform "${s}" of ${where} is not supported (NONE, LOGISTIC and SOFTMAX are).`);
  }
  throw malformed(`unknown post_transform "${s}" on ${where}.`);
}

function classLabelsOf(attrs: Attributes, intName: string, where: string): number[] | undefined {
  const ints = attrs.ints(intName);
  const strings = attrs.strings("classlabels_strings");
  if (strings && strings.length > 0) {
    throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} uses string class labels (${strings.slice(0, 3).map((s) => JSON.stringify(s)).join(", ")}${strings.length > 3 ? ", …" : ""}); only integer labels are supported: encode the labels as integers before training.`);
  }
  return ints;
}

function importMlGraph(ctx: GraphContext, core: PbNode): ImportedModel {
  const { graph } = ctx;
  let cur = ctx.inputName;
  let width = ctx.inputWidth;
  let seenCore = false;
  const derived = new Map<string, { fromScores: boolean }>();
  const scoresName = core.op_type.endsWith("Classifier") ? core.output[1] : core.output[0];
  const normalizers: { norm: string; where: string }[] = [];

  graph.node.forEach((node, i) => {
    if (node.op_type === "Constant") return;
    const where = nodeLabel(node, i);
    const inputs = dataInputs(ctx, node);
    if (node === core) {
      if (inputs.length !== 1 || inputs[0] !== cur) throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} (${node.op_type}) does not read the graph input "${ctx.inputName}" (through pass-through nodes only).`);
      seenCore = true;
      node.output.forEach((o) => o && derived.set(o, { fromScores: o === scoresName }));
      return;
    }
    const src = inputs.length === 1 ? derived.get(inputs[0]!) : undefined;
    if (src) {
      if (!(node.op_type === "ZipMap" || node.op_type === "Normalizer" || node.op_type === "Cast" || node.op_type === "Identity")) {
        throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} (${node.op_type}) post-processes the output of ${core.op_type}; only ZipMap, Normalizer, Cast and Identity may follow it.`, { node: node.name || undefined });
      }
      if (node.op_type === "Normalizer" && src.fromScores) normalizers.push({ norm: new Attributes(node, where).string("norm", "MAX"), where });
      node.output.forEach((o) => o && derived.set(o, { fromScores: src.fromScores && node.op_type !== "ZipMap" }));
      return;
    }
    if (!seenCore && inputs.length === 1 && inputs[0] === cur && PASS_THROUGH.has(node.op_type)) {
      width = passThrough(ctx, node, where, width);
      cur = node.output[0]!;
      return;
    }
    throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} (${node.op_type}) is neither on the path from the input to ${core.op_type} nor a post-processing of its outputs.`, { node: node.name || undefined });
  });
  if (!seenCore) throw malformed(`${core.op_type} is not reachable.`);

  const where = `${core.op_type} node${core.name ? ` "${core.name}"` : ""}`;
  const attrs = new Attributes(core, where);
  const imported = core.op_type.startsWith("Linear") ? importLinear(core.op_type, attrs, where, width) : importTrees(core.op_type, attrs, where, width);

  for (const n of normalizers) {
    const harmless = n.norm === "L1" && imported.task === "classification" &&
      (imported.postTransform === "softmax" || (imported.postTransform === "logistic" && imported.outputs === 1) ||
        (imported.postTransform === "none" && imported.outputs === 1 && imported.nonNegative));
    if (!harmless) {
      throw new OnnxImportError("UNSUPPORTED_GRAPH", `Normalizer(norm ${n.norm}) ${n.where} rescales the ${imported.postTransform} scores of ${core.op_type}; only a Normalizer(L1) that leaves probabilities unchanged (after SOFTMAX or on binary scores) is supported.`);
    }
  }
  const inputSize = ctx.inputWidth ?? width ?? imported.minInputs;
  if (inputSize < imported.minInputs) throw malformed(`${where} reads feature ${imported.minInputs - 1} but the input "${ctx.inputName}" has ${inputSize} features.`);
  const common = { task: imported.task, postTransform: imported.postTransform, inputName: ctx.inputName, inputSize } as const;
  const withLabels = imported.classLabels ? { classLabels: imported.classLabels } : {};
  return imported.kind === "linear"
    ? { kind: "linear", params: imported.params, ...common, ...withLabels }
    : { kind: "tree-ensemble", params: imported.params, ...common, ...withLabels };
}

type CoreImport = {
  task: "regression" | "classification";
  postTransform: PostTransform;
  classLabels?: number[];
  outputs: number;
  nonNegative: boolean;
  minInputs: number;
} & ({ kind: "linear"; params: LinearParams } | { kind: "tree-ensemble"; params: TreeEnsembleParams });

function importLinear(op: string, attrs: Attributes, where: string, width: number | undefined): CoreImport {
  const classifier = op === "LinearClassifier";
  const coefficients = attrs.floats("coefficients");
  if (!coefficients || coefficients.length === 0) throw malformed(`${where} has no coefficients.`);
  const intercepts = attrs.floats("intercepts") ?? [];
  const postTransform = parsePostTransform(attrs.string("post_transform", "NONE"), where);
  let classLabels: number[] | undefined;
  let rows: number;
  if (classifier) {
    classLabels = classLabelsOf(attrs, "classlabels_ints", where);
    if (!classLabels || classLabels.length === 0) throw malformed(`${where} has no class labels (classlabels_ints).`);
    if (intercepts.length > 0) rows = intercepts.length;
    else if (width !== undefined) rows = coefficients.length / width;
    else rows = classLabels.length === 2 && coefficients.length % 2 !== 0 ? 1 : classLabels.length;
  } else {
    rows = attrs.int("targets", 1);
    if (intercepts.length !== 0 && intercepts.length !== rows) throw malformed(`${where} has ${intercepts.length} intercepts for ${rows} targets.`);
  }
  if (!Number.isInteger(rows) || rows < 1 || coefficients.length % rows !== 0) {
    throw malformed(`${where}: ${coefficients.length} coefficients cannot be split into ${rows} rows.`);
  }
  const cols = coefficients.length / rows;
  if (width !== undefined && cols !== width) throw malformed(`${where} has ${cols} coefficients per output but the input has ${width} features.`);
  if (intercepts.length !== 0 && intercepts.length !== rows) throw malformed(`${where} has ${intercepts.length} intercepts for ${rows} coefficient rows.`);
  let coef = Float64Array.from(coefficients);
  let intercept = intercepts.length ? Float64Array.from(intercepts) : new Float64Array(rows);
  let transform = postTransform;

  if (classifier) {
    const nClasses = classLabels!.length;
    if (!(rows === nClasses || (rows === 1 && nClasses === 2))) throw malformed(`${where} has ${rows} coefficient rows for ${nClasses} classes.`);
    if (rows === 1 && transform === "softmax") throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} applies SOFTMAX to a single binary score.`);
    // Two complementary rows (skl2onnx writes [−w; w] for binary models): keep the positive row.
    if (rows === 2 && (transform === "logistic" || transform === "softmax")) {
      const diff = new Float64Array(cols);
      let complementary = intercept[0] === -intercept[1]!;
      for (let k = 0; k < cols; k++) {
        diff[k] = coef[cols + k]! - coef[k]!;
        if (coef[k] !== -coef[cols + k]!) complementary = false;
      }
      if (transform === "logistic" && complementary) {
        coef = coef.slice(cols);
        intercept = intercept.slice(1);
        rows = 1;
      } else if (transform === "softmax") {
        // softmax([a, b])[1] = σ(b − a): one logistic score.
        coef = diff;
        intercept = Float64Array.of(intercept[1]! - intercept[0]!);
        rows = 1;
        transform = "logistic";
      }
    }
  }
  const params: LinearParams = { coef: { rows, cols, data: coef }, intercept };
  return { kind: "linear", params, task: classifier ? "classification" : "regression", postTransform: transform, ...(classLabels ? { classLabels } : {}), outputs: rows, nonNegative: false, minInputs: cols };
}

/** The largest float64 strictly below t. */
export function previousDouble(t: number): number {
  if (Number.isNaN(t) || t === -Infinity) return t;
  if (t === Infinity) return Number.MAX_VALUE;
  if (t === 0) return -Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, t);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, t > 0 ? bits - 1n : bits + 1n);
  return buf.getFloat64(0);
}

function importTrees(op: string, attrs: Attributes, where: string, width: number | undefined): CoreImport {
  const classifier = op === "TreeEnsembleClassifier";
  const prefix = classifier ? "class" : "target";
  const need = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw malformed(`${where} has no ${name} attribute.`);
    return v;
  };
  const treeIds = need(attrs.ints("nodes_treeids"), "nodes_treeids");
  const nodeIds = need(attrs.ints("nodes_nodeids"), "nodes_nodeids");
  const featureIds = need(attrs.ints("nodes_featureids"), "nodes_featureids");
  const modes = need(attrs.strings("nodes_modes"), "nodes_modes");
  const values = attrs.floatsOrTensor("nodes_values") ?? new Array<number>(nodeIds.length).fill(0);
  const trueIds = need(attrs.ints("nodes_truenodeids"), "nodes_truenodeids");
  const falseIds = need(attrs.ints("nodes_falsenodeids"), "nodes_falsenodeids");
  const n = nodeIds.length;
  for (const [name, arr] of [["nodes_treeids", treeIds], ["nodes_featureids", featureIds], ["nodes_modes", modes], ["nodes_values", values], ["nodes_truenodeids", trueIds], ["nodes_falsenodeids", falseIds]] as const) {
    if (arr.length !== n) throw malformed(`${where}: ${name} has ${arr.length} entries, nodes_nodeids has ${n}.`);
  }
  const leafTrees = need(attrs.ints(`${prefix}_treeids`), `${prefix}_treeids`);
  const leafNodes = need(attrs.ints(`${prefix}_nodeids`), `${prefix}_nodeids`);
  const leafIds = need(attrs.ints(`${prefix}_ids`), `${prefix}_ids`);
  const leafWeights = need(attrs.floatsOrTensor(`${prefix}_weights`), `${prefix}_weights`);
  const m = leafTrees.length;
  if (leafNodes.length !== m || leafIds.length !== m || leafWeights.length !== m) {
    throw malformed(`${where}: the ${prefix}_treeids / _nodeids / _ids / _weights lists differ in length.`);
  }
  const postTransform = parsePostTransform(attrs.string("post_transform", "NONE"), where);
  const baseValues = attrs.floatsOrTensor("base_values") ?? [];

  // Output columns.
  let classLabels: number[] | undefined;
  let outputs: number;
  let column: (id: number) => number;
  let base: Float64Array;
  if (classifier) {
    classLabels = classLabelsOf(attrs, "classlabels_int64s", where);
    if (!classLabels || classLabels.length === 0) throw malformed(`${where} has no class labels (classlabels_int64s).`);
    const nClasses = classLabels.length;
    for (const id of leafIds) if (id < 0 || id >= nClasses) throw malformed(`${where}: class id ${id} is outside the ${nClasses} classes.`);
    const distinct = new Set(leafIds);
    if (nClasses === 2 && distinct.size === 1) {
      // Binary layout: one class id carries the positive-class score.
      const id = leafIds[0]!;
      outputs = 1;
      column = () => 0;
      if (postTransform === "softmax") throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} applies SOFTMAX to a single binary score.`);
      base = Float64Array.of(baseValues.length === 2 ? baseValues[id]! : baseValues.length === 1 ? baseValues[0]! : 0);
      if (baseValues.length > 2) throw malformed(`${where} has ${baseValues.length} base_values for 2 classes.`);
    } else {
      outputs = nClasses;
      column = (id) => id;
      if (baseValues.length !== 0 && baseValues.length !== nClasses) throw malformed(`${where} has ${baseValues.length} base_values for ${nClasses} classes.`);
      base = baseValues.length ? Float64Array.from(baseValues) : new Float64Array(nClasses);
    }
  } else {
    const maxId = leafIds.reduce((a, b) => Math.max(a, b), -1);
    outputs = attrs.has("n_targets") ? attrs.int("n_targets", 1) : maxId + 1;
    if (outputs < 1 || outputs > Math.max(1, m)) throw malformed(`${where} has n_targets = ${outputs} for ${m} leaf weights.`);
    for (const id of leafIds) if (id < 0 || id >= outputs) throw malformed(`${where}: target id ${id} is outside the ${outputs} targets.`);
    column = (id) => id;
    if (baseValues.length === 1 && outputs === 1) base = Float64Array.of(baseValues[0]!);
    else if (baseValues.length === 0) base = new Float64Array(outputs);
    else if (baseValues.length === outputs) base = Float64Array.from(baseValues);
    else throw malformed(`${where} has ${baseValues.length} base_values for ${outputs} targets.`);
  }
  let aggregate: "average" | "sum" = "sum";
  if (!classifier) {
    const fn = attrs.string("aggregate_function", "SUM");
    if (fn === "AVERAGE") aggregate = "average";
    else if (fn === "MIN" || fn === "MAX") throw new OnnxImportError("UNSUPPORTED_GRAPH", `aggregate_function "${fn}" of ${where} is not supported (SUM and AVERAGE are).`);
    else if (fn !== "SUM") throw malformed(`unknown aggregate_function "${fn}" on ${where}.`);
  }

  // Group node tuples by tree, in ascending tree id order.
  const byTree = new Map<number, number[]>();
  for (let j = 0; j < n; j++) {
    const list = byTree.get(treeIds[j]!);
    if (list) list.push(j);
    else byTree.set(treeIds[j]!, [j]);
  }
  const treeOrder = [...byTree.keys()].sort((a, b) => a - b);
  const treeIndex = new Map(treeOrder.map((t, k) => [t, k]));
  let maxFeature = -1;
  const nodeIndexOf: Map<number, number>[] = [];
  const trees: { feature: Int32Array; threshold: Float64Array; left: Int32Array; right: Int32Array; value: Float64Array; leaf: boolean[] }[] = [];

  for (const t of treeOrder) {
    const tuples = byTree.get(t)!;
    const byId = new Map<number, number>();
    for (const j of tuples) {
      if (byId.has(nodeIds[j]!)) throw malformed(`${where}: node id ${nodeIds[j]} appears twice in tree ${t}.`);
      byId.set(nodeIds[j]!, j);
    }
    const isLeaf = (j: number) => modes[j] === "LEAF";
    const children = new Set<number>();
    for (const j of tuples) {
      if (isLeaf(j)) continue;
      for (const c of [trueIds[j]!, falseIds[j]!]) {
        if (!byId.has(c)) throw malformed(`${where}: node ${nodeIds[j]} of tree ${t} points to missing node ${c}.`);
        children.add(c);
      }
    }
    const roots = tuples.filter((j) => !children.has(nodeIds[j]!));
    if (roots.length !== 1) throw malformed(`${where}: tree ${t} has ${roots.length} root nodes.`);
    // Depth-first walk from the root: checks that the nodes form a tree and gives a node order.
    const order: number[] = [];
    const seen = new Set<number>();
    const stack = [nodeIds[roots[0]!]!];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) throw malformed(`${where}: node ${id} of tree ${t} is reached twice (the nodes do not form a tree).`);
      seen.add(id);
      order.push(id);
      const j = byId.get(id)!;
      if (!isLeaf(j)) stack.push(falseIds[j]!, trueIds[j]!);
    }
    if (order.length !== tuples.length) throw malformed(`${where}: ${tuples.length - order.length} nodes of tree ${t} are not reachable from its root.`);
    // Keep the ONNX node ids as indices when they already are 0..n−1 with the root at 0.
    const dense = nodeIds[roots[0]!] === 0 && tuples.every((j) => nodeIds[j]! >= 0 && nodeIds[j]! < tuples.length);
    const index = new Map<number, number>();
    if (dense) for (const j of tuples) index.set(nodeIds[j]!, nodeIds[j]!);
    else order.forEach((id, k) => index.set(id, k));
    const count = tuples.length;
    const feature = new Int32Array(count).fill(-1);
    const threshold = new Float64Array(count);
    const left = new Int32Array(count).fill(-1);
    const right = new Int32Array(count).fill(-1);
    const leaf = new Array<boolean>(count).fill(true);
    for (const id of order) {
      const j = byId.get(id)!;
      const k = index.get(id)!;
      const mode = modes[j]!;
      if (mode === "LEAF") continue;
      const f = featureIds[j]!;
      if (f < 0) throw malformed(`${where}: node ${id} of tree ${t} tests feature ${f}.`);
      if (width !== undefined && f >= width) throw malformed(`${where}: node ${id} of tree ${t} tests feature ${f} but the input has ${width} features.`);
      maxFeature = Math.max(maxFeature, f);
      const v = values[j]!;
      if (Number.isNaN(v)) throw malformed(`${where}: node ${id} of tree ${t} has a NaN threshold.`);
      const tIdx = index.get(trueIds[j]!)!, fIdx = index.get(falseIds[j]!)!;
      let thr: number, l: number, r: number;
      switch (mode) {
        case "BRANCH_LEQ": thr = v; l = tIdx; r = fIdx; break; // x <= v → true
        case "BRANCH_LT": thr = previousDouble(v); l = tIdx; r = fIdx; break; // x < v ⇔ x <= prev(v)
        case "BRANCH_GT": thr = v; l = fIdx; r = tIdx; break; // x > v ⇔ !(x <= v)
        case "BRANCH_GTE": thr = previousDouble(v); l = fIdx; r = tIdx; break; // x >= v ⇔ !(x <= prev(v))
        case "BRANCH_EQ": case "BRANCH_NEQ": case "BRANCH_MEMBER":
          throw new OnnxImportError("UNSUPPORTED_GRAPH", `${capitalize(where)} uses ${mode} splits; only BRANCH_LEQ / LT / GT / GTE are supported.`);
        default: throw malformed(`${where}: unknown node mode "${mode}".`);
      }
      feature[k] = f;
      threshold[k] = thr;
      left[k] = l;
      right[k] = r;
      leaf[k] = false;
    }
    nodeIndexOf.push(index);
    trees.push({ feature, threshold, left, right, value: new Float64Array(count * outputs), leaf });
  }

  for (let q = 0; q < m; q++) {
    const k = treeIndex.get(leafTrees[q]!);
    const tree = k === undefined ? undefined : trees[k]!;
    const idx = k === undefined ? undefined : nodeIndexOf[k]!.get(leafNodes[q]!);
    if (tree === undefined || idx === undefined) throw malformed(`${where}: a leaf weight refers to node ${leafNodes[q]} of tree ${leafTrees[q]}, which does not exist.`);
    if (!tree.leaf[idx]) throw malformed(`${where}: a leaf weight is attached to branch node ${leafNodes[q]} of tree ${leafTrees[q]}.`);
    tree.value[idx * outputs + column(leafIds[q]!)]! += leafWeights[q]!;
  }
  if (trees.length === 0) throw malformed(`${where} has no trees.`);

  const params: TreeEnsembleParams = {
    trees: trees.map((t): TreeParams => ({ feature: t.feature, threshold: t.threshold, left: t.left, right: t.right, value: { rows: t.feature.length, cols: outputs, data: t.value } })),
    aggregate,
    base,
  };
  const nonNegative = leafWeights.every((w) => w >= 0) && Array.from(base).every((b) => b >= 0);
  return { kind: "tree-ensemble", params, task: classifier ? "classification" : "regression", postTransform, ...(classLabels ? { classLabels } : {}), outputs, nonNegative, minInputs: maxFeature + 1 };
}

// --------------------------------------------------------------------------------------------
// Entry point

/**
 * Parses ONNX model bytes (a .onnx file) into a plain float model description.
 * Throws OnnxImportError: UNSUPPORTED_OPERATOR (naming the operator and node), UNSUPPORTED_GRAPH
 * (supported operators in an unsupported arrangement or configuration) or MALFORMED (bytes that
 * are not a consistent ONNX model, e.g. a truncated file).
 */
export function parseOnnx(bytes: Uint8Array): ImportedModel {
  const model = decodeModel(bytes);
  try {
    return importModel(model);
  } catch (e) {
    if (e instanceof OnnxImportError) throw e;
    throw malformed(e instanceof Error ? e.message : String(e), e);
  }
}

// --------------------------------------------------------------------------------------------
// Reference evaluation (float64)

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softmaxInPlace(v: Float64Array, start: number, n: number): void {
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, v[start + k]!);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const e = Math.exp(v[start + k]! - max);
    v[start + k] = e;
    sum += e;
  }
  for (let k = 0; k < n; k++) v[start + k]! /= sum;
}

/** Applies a post-transform to raw scores (rows × outputs); binary single scores become two columns. */
function finishScores(raw: DenseMatrix, task: "regression" | "classification", postTransform: PostTransform, classLabels: number[] | undefined, nonNegative: boolean): DenseMatrix {
  const { rows, cols } = raw;
  if (task === "classification" && cols === 1 && classLabels?.length === 2) {
    const out = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const s = raw.data[r]!;
      if (postTransform === "logistic") { out[2 * r] = sigmoid(-s); out[2 * r + 1] = sigmoid(s); }
      else if (nonNegative) { out[2 * r] = 1 - s; out[2 * r + 1] = s; }
      else { out[2 * r] = -s; out[2 * r + 1] = s; }
    }
    return { rows, cols: 2, data: out };
  }
  const data = Float64Array.from(raw.data);
  if (postTransform === "logistic") for (let k = 0; k < data.length; k++) data[k] = sigmoid(data[k]!);
  else if (postTransform === "softmax") for (let r = 0; r < rows; r++) softmaxInPlace(data, r * cols, cols);
  return { rows, cols, data };
}

function checkInput(X: DenseMatrix, needed: number): void {
  if (X.cols !== needed) throw new RangeError(`The model takes ${needed} features per row; X has ${X.cols}.`);
}

/** Index of the leaf each row reaches in each tree: a rows × trees row-major array. */
export function treeLeafIndices(params: TreeEnsembleParams, X: DenseMatrix): Int32Array {
  const nt = params.trees.length;
  const out = new Int32Array(X.rows * nt);
  for (let r = 0; r < X.rows; r++) {
    const off = r * X.cols;
    params.trees.forEach((tree, t) => {
      let node = 0;
      for (let steps = 0; tree.feature[node]! >= 0; steps++) {
        if (steps > tree.feature.length) throw new Error("The tree has a cycle.");
        node = X.data[off + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
      }
      out[r * nt + t] = node;
    });
  }
  return out;
}

/** Raw ensemble scores: base + sum (or mean) of the leaf values. */
export function treeEnsembleRaw(params: TreeEnsembleParams, X: DenseMatrix): DenseMatrix {
  const nt = params.trees.length;
  const outputs = params.base.length;
  const leaves = treeLeafIndices(params, X);
  const data = new Float64Array(X.rows * outputs);
  for (let r = 0; r < X.rows; r++) {
    for (let t = 0; t < nt; t++) {
      const value = params.trees[t]!.value;
      const leaf = leaves[r * nt + t]!;
      for (let o = 0; o < outputs; o++) data[r * outputs + o]! += value.data[leaf * value.cols + o]!;
    }
    for (let o = 0; o < outputs; o++) {
      const v = params.aggregate === "average" ? data[r * outputs + o]! / nt : data[r * outputs + o]!;
      data[r * outputs + o] = params.base[o]! + v;
    }
  }
  return { rows: X.rows, cols: outputs, data };
}

/**
 * Evaluates an imported model in float64: MLP outputs (logits, softmax or sigmoid), linear and
 * tree-ensemble scores after the post-transform (classifier probabilities; binary single-score
 * models give two columns [P(class 0), P(class 1)]), regression values.
 */
export function evaluateImported(model: ImportedModel, X: DenseMatrix): DenseMatrix {
  switch (model.kind) {
    case "mlp": {
      checkInput(X, model.inputSize);
      let h = X;
      for (const layer of model.params.layers) {
        const { rows: out, cols: inp, data: W } = layer.weights;
        const next = new Float64Array(h.rows * out);
        for (let r = 0; r < h.rows; r++) {
          for (let o = 0; o < out; o++) {
            let acc = layer.bias[o]!;
            for (let k = 0; k < inp; k++) acc += W[o * inp + k]! * h.data[r * inp + k]!;
            next[r * out + o] = layer.activation === "relu" && acc < 0 ? 0 : acc;
          }
        }
        h = { rows: h.rows, cols: out, data: next };
      }
      if (model.output === "sigmoid") return { ...h, data: h.data.map(sigmoid) };
      if (model.output === "softmax") {
        const data = Float64Array.from(h.data);
        for (let r = 0; r < h.rows; r++) softmaxInPlace(data, r * h.cols, h.cols);
        return { ...h, data };
      }
      return h;
    }
    case "linear": {
      const { coef, intercept } = model.params;
      checkInput(X, coef.cols);
      const raw = new Float64Array(X.rows * coef.rows);
      for (let r = 0; r < X.rows; r++) {
        for (let o = 0; o < coef.rows; o++) {
          let acc = intercept[o]!;
          for (let k = 0; k < coef.cols; k++) acc += coef.data[o * coef.cols + k]! * X.data[r * X.cols + k]!;
          raw[r * coef.rows + o] = acc;
        }
      }
      return finishScores({ rows: X.rows, cols: coef.rows, data: raw }, model.task, model.postTransform, model.classLabels, false);
    }
    case "tree-ensemble": {
      checkInput(X, model.inputSize);
      const nonNegative = Array.from(model.params.base).every((b) => b >= 0) && model.params.trees.every((t) => t.value.data.every((v) => v >= 0));
      return finishScores(treeEnsembleRaw(model.params, X), model.task, model.postTransform, model.classLabels, nonNegative);
    }
  }
}
