/**
 * Loads the compiled kernels and is the only file that touches the wasm exports.
 * The module bytes are embedded in build/kernels_wasm.ts, so loading needs no file
 * access; the relaxed-SIMD build is used where the engine validates it.
 * @module
 */
import {
  KERNELS_RELAXED_SHARED_WASM_BASE64,
  KERNELS_RELAXED_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from "../../build/kernels_wasm.ts";

/** The kernels' exports: every pointer is a byte offset into the shared linear memory. */
export interface KernelExports {
  heapBase(): number;
  setWorkspace(ptr: number, bytes: number): void;
  MATMUL_WORKSPACE_BYTES: WebAssembly.Global;
  matmul(
    a: number,
    b: number,
    c: number,
    bias: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    transA: number,
    transB: number,
    alpha: number,
    accumulate: number,
  ): void;
  matmulInt8(
    a: number,
    lda: number,
    w: number,
    wScales: number,
    bias: number,
    c: number,
    ldc: number,
    m: number,
    n: number,
    k: number,
    accumulate: number,
  ): void;
  prepareInt8Weights(
    w: number,
    ldw: number,
    rows: number,
    k: number,
    dst: number,
    scales: number,
  ): void;
  int8WorkspaceBytes(k: number): number;
  softmaxForward(x: number, y: number, rows: number, cols: number): void;
  softmaxBackward(y: number, dy: number, dx: number, rows: number, cols: number): void;
  attentionForward(
    q: number,
    k: number,
    v: number,
    out: number,
    probs: number,
    batch: number,
    heads: number,
    seqQ: number,
    seqK: number,
    dHead: number,
    ldq: number,
    ldk: number,
    ldv: number,
    ldo: number,
    causal: number,
    keyLens: number,
    scale: number,
  ): void;
  /** The blocked path of attentionForward (same arguments, same bits), for tests. */
  attentionForwardBlocked: KernelExports["attentionForward"];
  attentionBackward(
    q: number,
    k: number,
    v: number,
    probs: number,
    dout: number,
    dq: number,
    dk: number,
    dv: number,
    scratch: number,
    batch: number,
    heads: number,
    seqQ: number,
    seqK: number,
    dHead: number,
    ldq: number,
    ldk: number,
    ldv: number,
    ldo: number,
    causal: number,
    keyLens: number,
    scale: number,
  ): void;
  /** The blocked path of attentionBackward (same arguments, same bits), for tests. */
  attentionBackwardBlocked: KernelExports["attentionBackward"];
  layerNormForward(
    x: number,
    y: number,
    gamma: number,
    beta: number,
    mean: number,
    rstd: number,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  layerNormBackward(
    dy: number,
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    cols: number,
    accumulate: number,
    paramGrads: number,
  ): void;
  layerNormParamGrads(
    dy: number,
    x: number,
    mean: number,
    rstd: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    cols: number,
    ld: number,
  ): void;
  reluForward(x: number, y: number, n: number): void;
  reluBackward(dy: number, x: number, dx: number, n: number): void;
  geluForward(x: number, y: number, n: number): void;
  geluBackward(dy: number, x: number, dx: number, n: number): void;
  add(a: number, b: number, y: number, n: number): void;
  scale(x: number, n: number, alpha: number): void;
  sumRows(dy: number, db: number, rows: number, cols: number, ld: number, accumulate: number): void;
  sumSquares(x: number, n: number, partials: number): number;
  dropoutForward(
    x: number,
    y: number,
    mask: number,
    n: number,
    p: number,
    seed: number,
    offset: number,
  ): void;
  dropoutBackward(dy: number, mask: number, dx: number, n: number, p: number): void;
  embeddingForward(
    table: number,
    ids: number,
    pe: number,
    out: number,
    tokens: number,
    dim: number,
    scale: number,
    seqLen: number,
    posOffset: number,
  ): void;
  embeddingBackward(
    dout: number,
    ids: number,
    dtable: number,
    tokens: number,
    dim: number,
    ld: number,
    scale: number,
  ): void;
  positionalEncoding(pe: number, maxLen: number, dim: number): void;
  crossEntropy(
    logits: number,
    labels: number,
    dlogits: number,
    rows: number,
    vocab: number,
    smoothing: number,
    ignoreIndex: number,
    countAll: number,
    rowLoss: number,
  ): number;
  adamStep(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: number,
    stepSize: number,
    bc2Sqrt: number,
  ): void;
  simdPeak(iterations: number, seed: number): number;
}

/** Which build of the kernels runs: standard SIMD128, or SIMD128 plus relaxed FMA. */
export type KernelVariant = "simd128" | "relaxed-simd";

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const compiled = new Map<string, WebAssembly.Module>();

/** The compiled module of a variant, for a shared (threads) or private memory. */
export function kernelModule(variant: KernelVariant, shared: boolean): WebAssembly.Module {
  const key = `${variant}/${shared}`;
  let mod = compiled.get(key);
  if (!mod) {
    const b64 = variant === "relaxed-simd"
      ? (shared ? KERNELS_RELAXED_SHARED_WASM_BASE64 : KERNELS_RELAXED_WASM_BASE64)
      : (shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64);
    mod = new WebAssembly.Module(decodeBase64(b64));
    compiled.set(key, mod);
  }
  return mod;
}

let relaxedSupported: boolean | undefined;

/** The fastest variant this engine runs: relaxed SIMD where it validates. */
export function bestVariant(): KernelVariant {
  if (relaxedSupported === undefined) {
    relaxedSupported = WebAssembly.validate(decodeBase64(KERNELS_RELAXED_WASM_BASE64));
  }
  return relaxedSupported ? "relaxed-simd" : "simd128";
}

/** Instantiates the kernels over `memory` (synchronously: the module is small). */
export function instantiateKernels(
  memory: WebAssembly.Memory,
  variant: KernelVariant = bestVariant(),
  shared = false,
): KernelExports {
  const instance = new WebAssembly.Instance(kernelModule(variant, shared), { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
