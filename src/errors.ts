/**
 * Errors raised for things a user can fix: wrong shapes, bad input text, a corrupt or
 * mismatched checkpoint, a diverging loss. Each message says what was wrong and what
 * to do; command-line tools print it on one line.
 * @module
 */

/**
 * The base class of every error this package raises on purpose.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { ShapeError, VamosError } from "@vamos/transformer";
 * throws(() => {
 *   throw new ShapeError("example");
 * }, VamosError);
 * ```
 */
export class VamosError extends Error {
  /** Creates an error with a message meant for a person. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A kernel or model was given tensors whose shapes do not fit together.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { matmul, ShapeError } from "@vamos/transformer";
 * // b should hold 3×3 values:
 * throws(() => matmul(new Float32Array(6), new Float32Array(6), 2, 3, 3), ShapeError);
 * ```
 */
export class ShapeError extends VamosError {}
