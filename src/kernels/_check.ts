// Shape checks shared by the kernel wrappers: every wrapper validates its arguments
// once, here, so the wasm can trust them and a user never sees a trap from inside it.
import { ShapeError } from "../errors.ts";
import type { Tensor } from "../runtime/runtime.ts";

export function checkDim(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ShapeError(`${kernel}: ${name} must be a positive integer, got ${value}`);
  }
}

export function checkFinite(kernel: string, name: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new ShapeError(`${kernel}: ${name} must be a finite number, got ${value}`);
  }
}

export function shapeOf(t: Tensor): string {
  return `[${t.rows}, ${t.cols}]`;
}

export function checkShape(kernel: string, name: string, t: Tensor, rows: number, cols: number) {
  if (t.rows !== rows || t.cols !== cols) {
    throw new ShapeError(
      `${kernel}: ${name} has shape ${shapeOf(t)}, expected [${rows}, ${cols}]`,
    );
  }
  checkInMemory(kernel, name, t);
}

export function checkContiguous(kernel: string, name: string, t: Tensor): void {
  if (!t.contiguous) {
    throw new ShapeError(`${kernel}: ${name} must be contiguous (row stride ${t.ld} != ${t.cols})`);
  }
}

export function checkSameShape(kernel: string, names: string[], ts: Tensor[]): void {
  for (let i = 1; i < ts.length; i++) {
    if (ts[i].rows !== ts[0].rows || ts[i].cols !== ts[0].cols) {
      throw new ShapeError(
        `${kernel}: ${names[i]} has shape ${shapeOf(ts[i])}, expected ${shapeOf(ts[0])} like ${
          names[0]
        }`,
      );
    }
  }
  ts.forEach((t, i) => checkInMemory(kernel, names[i], t));
}

export function checkInMemory(kernel: string, name: string, t: Tensor): void {
  if (t.rows < 1 || t.cols < 1) {
    throw new ShapeError(`${kernel}: ${name} is empty (shape ${shapeOf(t)})`);
  }
  if (t.ld < t.cols) {
    throw new ShapeError(`${kernel}: ${name} has row stride ${t.ld} < ${t.cols} columns`);
  }
  const end = t.ptr + ((t.rows - 1) * t.ld + t.cols) * 4;
  if (t.ptr < 0 || t.ptr % 4 !== 0 || end > t.rt.memory.buffer.byteLength) {
    throw new ShapeError(`${kernel}: ${name} lies outside its runtime's memory`);
  }
}

export function checkSameRuntime(kernel: string, ts: Tensor[]): void {
  for (const t of ts) {
    if (t.rt !== ts[0].rt) {
      throw new ShapeError(`${kernel}: all tensors must belong to the same Runtime`);
    }
  }
}
