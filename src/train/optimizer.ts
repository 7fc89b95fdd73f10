/**
 * Adam over the whole parameter region, with the paper's warm-up schedule or a
 * constant rate, and gradient clipping by global norm.
 * @module
 */
import type { ParamStore } from "../model/params.ts";
import { adamStepInto } from "../kernels/adam.ts";
import { scaleInPlace, sumSquares } from "../kernels/elementwise.ts";

/** Optimizer settings; the defaults are the paper's (§5.3). */
export interface OptimizerOptions {
  /** "noam": lr·d^-0.5·min(step^-0.5, step·warmup^-1.5) (Vaswani et al. §5.3); "constant": lr. */
  schedule?: "noam" | "constant";
  /** Learning rate (constant) or the factor of the warm-up schedule (default 1). */
  lr?: number;
  /** Warm-up steps of the "noam" schedule (default 4000). */
  warmup?: number;
  /** Adam's β1 (default 0.9). */
  beta1?: number;
  /** Adam's β2 (default 0.98, the paper's). */
  beta2?: number;
  /** Adam's ε (default 1e-9, the paper's). */
  eps?: number;
  /** Weight decay (default 0). */
  weightDecay?: number;
  /** AdamW's decoupled weight decay. */
  decoupled?: boolean;
  /** Clip gradients to this global norm (0 or undefined: no clipping). */
  clipNorm?: number;
}

/** Every option's name, in the order of {@linkcode OptimizerOptions} (checkpoints check them). */
export const OPTIMIZER_OPTION_KEYS = [
  "schedule",
  "lr",
  "warmup",
  "beta1",
  "beta2",
  "eps",
  "weightDecay",
  "decoupled",
  "clipNorm",
] as const satisfies readonly (keyof OptimizerOptions)[];

/** Adam's state: the step count; the moments live in the parameter store. */
export class Adam {
  /** Steps taken so far. */
  step = 0;
  /** The settings, defaults filled in. */
  readonly options: Required<OptimizerOptions>;
  readonly #params: ParamStore;
  readonly #dModel: number;

  /**
   * Creates an optimizer for a parameter store (a model's `core.params`); dModel
   * scales the warm-up schedule.
   * @ignore
   */
  constructor(params: ParamStore, dModel: number, options: OptimizerOptions = {}) {
    this.#params = params;
    this.#dModel = dModel;
    this.options = {
      schedule: options.schedule ?? "noam",
      lr: options.lr ?? 1,
      warmup: options.warmup ?? 4000,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.98,
      eps: options.eps ?? 1e-9,
      weightDecay: options.weightDecay ?? 0,
      decoupled: options.decoupled ?? false,
      clipNorm: options.clipNorm ?? 0,
    };
  }

  /** The learning rate at a (1-based) step. */
  learningRate(step: number): number {
    const o = this.options;
    if (o.schedule === "constant") return o.lr;
    // see: Vaswani et al. 2017, §5.3 (warm-up schedule)
    return o.lr * this.#dModel ** -0.5 * Math.min(step ** -0.5, step * o.warmup ** -1.5);
  }

  /** The global gradient norm (f64 over the whole gradient region). */
  gradNorm(): number {
    return Math.sqrt(sumSquares(this.#params.grads));
  }

  /**
   * Clips, then applies one Adam step; returns the norm before clipping and the rate.
   * Pass the gradient norm if it is already known.
   */
  update(gradNorm?: number): { gradNorm: number; lr: number } {
    const norm = gradNorm ?? this.gradNorm();
    const clip = this.options.clipNorm;
    if (clip > 0 && norm > clip) scaleInPlace(this.#params.grads, clip / (norm + 1e-6));
    this.step++;
    const lr = this.learningRate(this.step);
    const { m, v } = this.#params.moments();
    adamStepInto(this.#params.values, this.#params.grads, m, v, this.step, { ...this.options, lr });
    this.#params.weightsChanged();
    return { gradNorm: norm, lr };
  }
}
