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

import type { KernelExports } from "../../build/kernel_exports.ts";

// The exports' types are generated from the AssemblyScript sources with the wasm.
export type { KernelExports };

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
