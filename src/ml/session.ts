// Execute mode inside one process: a client key for the circuit's parameter set, its evaluation
// keys expanded into an evaluator, and the circuit executor. Keys are made on first use and kept
// until free(). (The deployment split — client and server in different places — is ModelClient /
// ModelServer in src/artifacts; this is the same flow without the transport.)
import { loadEngine, PARAMETER_SETS } from "../engine/index.js";
import type { ClientKey, Engine, Evaluator, ParameterSet } from "../engine/index.js";
import type { CompiledCircuit } from "./circuit.js";
import { circuitInterface } from "./circuit.js";
import { CircuitExecutor, encryptRows, decryptRows } from "./fhe.js";

let sharedEngine: Promise<Engine> | undefined;

/** One engine instance per process for in-process sessions. */
export function defaultEngine(): Promise<Engine> {
  sharedEngine ??= loadEngine();
  return sharedEngine;
}

export class FheSession {
  readonly circuit: CompiledCircuit;
  private state?: Promise<{ ck: ClientKey; evaluator: Evaluator; executor: CircuitExecutor }>;

  constructor(circuit: CompiledCircuit) {
    this.circuit = circuit;
  }

  private setup(): Promise<{ ck: ClientKey; evaluator: Evaluator; executor: CircuitExecutor }> {
    this.state ??= defaultEngine().then((engine) => {
      const set = (PARAMETER_SETS as Record<string, ParameterSet>)[this.circuit.parameterSet]!;
      const ck = engine.generateClientKey(set);
      // a leveled circuit (linear models) needs no evaluation keys at all
      const evaluator = this.circuit.report.bootstraps > 0 ? engine.createEvaluator(ck.generateEvaluationKeys()) : engine.createLeveledEvaluator(set);
      return { ck, evaluator, executor: new CircuitExecutor(evaluator, this.circuit) };
    });
    return this.state;
  }

  /** Encrypts the quantized rows, evaluates under encryption, decrypts the integer outputs. */
  async run(rows: readonly ArrayLike<number>[]): Promise<Float64Array[]> {
    const { ck, evaluator, executor } = await this.setup();
    const iface = circuitInterface(this.circuit);
    const query = encryptRows(ck, iface, rows);
    using input = evaluator.expandVector(query);
    using output = executor.run(input);
    return decryptRows(ck, iface, output);
  }

  free(): void {
    const state = this.state;
    this.state = undefined;
    void state?.then(({ ck, evaluator, executor }) => {
      executor.free();
      evaluator.free();
      ck.free();
    });
  }
}
