// Per-instance scratch memory for kernels that pack or stage data (matmul panels,
// attention scores). The host allocates it and hands it over once per instance, so
// each worker thread instantiating the module over a shared memory has its own.

export let workspacePtr: usize = 0;
export let workspaceBytes: usize = 0;

export function setWorkspace(ptr: usize, bytes: usize): void {
  workspacePtr = ptr;
  workspaceBytes = bytes;
}

export function heapBase(): usize {
  return __heap_base;
}
