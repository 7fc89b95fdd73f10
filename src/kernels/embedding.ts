// Embedding gather with scale and sinusoidal positions, and its scatter-add backward.
import type { IntBuffer, Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { checkContiguous, checkDim, checkFinite, checkInMemory, checkShape } from "./_check.ts";
import { splitRange, threadsFor } from "./_split.ts";

function checkIds(K: string, ids: IntBuffer, table: Tensor, tokens: number): void {
  if (ids.length < tokens) {
    throw new ShapeError(`${K}: ${ids.length} ids for ${tokens} tokens`);
  }
  const v = ids.rt.i32;
  const base = ids.ptr >>> 2;
  for (let t = 0; t < tokens; t++) {
    const id = v[base + t];
    if (id < 0 || id >= table.rows) {
      throw new ShapeError(
        `${K}: token id ${id} at position ${t} is outside the vocabulary of ${table.rows}`,
      );
    }
  }
}

/** out[t] = table[ids[t]]·scale + pe[posOffset + t mod seqLen] (pe optional). */
export function embeddingInto(
  table: Tensor,
  ids: IntBuffer,
  out: Tensor,
  opts: { scale: number; pe?: Tensor; seqLen: number; posOffset?: number },
): void {
  const K = "embedding";
  checkContiguous(K, "table", table);
  checkInMemory(K, "table", table);
  checkShape(K, "out", out, out.rows, table.cols);
  checkContiguous(K, "out", out);
  checkDim(K, "seqLen", opts.seqLen);
  checkFinite(K, "scale", opts.scale);
  checkIds(K, ids, table, out.rows);
  const posOffset = opts.posOffset ?? 0;
  if (opts.pe) {
    checkShape(K, "pe", opts.pe, opts.pe.rows, table.cols);
    if (posOffset + Math.min(opts.seqLen, out.rows) > opts.pe.rows) {
      throw new ShapeError(
        `${K}: position ${
          posOffset + Math.min(opts.seqLen, out.rows) - 1
        } is past the ${opts.pe.rows} positions encoded`,
      );
    }
  }
  table.rt.kernels.embeddingForward(
    table.ptr,
    ids.ptr,
    opts.pe?.ptr ?? 0,
    out.ptr,
    out.rows,
    table.cols,
    opts.scale,
    opts.seqLen,
    posOffset,
  );
}

/** dtable[ids[t]] += dout[t]·scale. */
export function embeddingBackwardInto(
  dout: Tensor,
  ids: IntBuffer,
  dtable: Tensor,
  scale: number,
): void {
  const K = "embeddingBackward";
  checkContiguous(K, "dout", dout);
  checkContiguous(K, "dtable", dtable);
  checkShape(K, "dout", dout, dout.rows, dtable.cols);
  checkInMemory(K, "dtable", dtable);
  checkIds(K, ids, dtable, dout.rows);
  // By columns: threads never write the same table row at once, and every element
  // adds its tokens' gradients in token order.
  const threads = threadsFor(dout.rt, dout.size);
  dout.rt.parallel(
    "embeddingBackward",
    splitRange(dtable.cols, threads, 4).map(([c0, c1]) => [
      dout.ptr + 4 * c0,
      ids.ptr,
      dtable.ptr + 4 * c0,
      dout.rows,
      c1 - c0,
      dtable.cols,
      scale,
    ]),
  );
}

/** Fills pe [maxLen, dim] with the sinusoidal encoding of Vaswani et al. 2017, §3.5. */
export function positionalEncodingInto(pe: Tensor): void {
  checkContiguous("positionalEncoding", "pe", pe);
  checkInMemory("positionalEncoding", "pe", pe);
  pe.rt.kernels.positionalEncoding(pe.ptr, pe.rows, pe.cols);
}
