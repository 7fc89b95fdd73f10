// What every attention path shares: which keys a query sees (padding and causal masks)
// and the zeroing of gradients for keys no query saw. Key j is visible to query i when
// j < keyLen[b] (keyLens = 0: all keys) and, if causal, j <= i + (seqK − seqQ): the last
// query sees every key, which also covers one-step decoding with a cache.
import { at } from "./simd_math";

@inline export function visibleKeys(i: i32, keyLen: i32, causal: i32, offset: i32): i32 {
  return causal ? max(0, min(keyLen, i + offset + 1)) : keyLen;
}

@inline export function keyLenOf(keyLens: usize, b: i32, seqK: i32): i32 {
  return keyLens ? min(seqK, max(0, load<i32>(at(keyLens, b)))) : seqK;
}


// Gradients no query's weight reaches are zero: dK and dV of keys from nk on, and all of
// dQ when no key is seen (nk = 0, then true: nothing else to do for this head).
@inline export function zeroUnseen(
  dqb: usize, dkb: usize, dvb: usize, nk: i32, seqQ: i32, seqK: i32, dHead: i32, ldq: i32,
  ldk: i32, ldv: i32,
): bool {
  for (let j = nk; j < seqK; j++) {
    memory.fill(at(dkb, j * ldk), 0, <usize> dHead << 2);
    memory.fill(at(dvb, j * ldv), 0, <usize> dHead << 2);
  }
  if (nk > 0) return false;
  for (let i = 0; i < seqQ; i++) memory.fill(at(dqb, i * ldq), 0, <usize> dHead << 2);
  return true;
}
