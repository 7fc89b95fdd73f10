// The kernel modules: both builds compile, relaxed SIMD is chosen where it validates, and
// an instance exports every kernel and matmul's register tile.
import { equal, ok } from "node:assert/strict";
import { bestVariant, instantiateKernels, kernelModule } from "../../src/runtime/wasm.ts";

Deno.test("both builds, private and shared, compile and export the same kernels", () => {
  const names = (m: WebAssembly.Module) =>
    WebAssembly.Module.exports(m).map((e) => e.name).sort().join(" ");
  const base = names(kernelModule("simd128", false));
  for (
    const [variant, shared] of [["relaxed-simd", false], ["simd128", true], [
      "relaxed-simd",
      true,
    ]] as const
  ) {
    equal(names(kernelModule(variant, shared)), base);
  }
  equal(kernelModule("simd128", false), kernelModule("simd128", false)); // compiled once
  ok(base.includes("matmul") && base.includes("matmulInt8") && base.includes("attentionForward"));
});

Deno.test("an instance over a memory, with matmul's tile", () => {
  equal(bestVariant(), "relaxed-simd"); // Deno's V8 validates relaxed SIMD
  const k = instantiateKernels(new WebAssembly.Memory({ initial: 64 }), "simd128");
  equal(k.MATMUL_TILE_ROWS.value, 3);
  equal(k.MATMUL_TILE_COLS.value, 12);
  ok(Number(k.MATMUL_WORKSPACE_BYTES.value) > 0);
});
