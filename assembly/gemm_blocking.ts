// The blocking the f32 products share (Goto/BLIS): B packed KC steps of k at a time in
// blocks of NC columns, A in blocks of MC rows, each block sized to stay in L2.
export const KC: i32 = 256;
export const MC: i32 = 120; // 120 x 256 floats of A = 120 KiB, sits in L2 (a multiple of 4 and 3)
export const NC: i32 = 1032; // 256 x 1032 floats of B (86 micro-panels) = 1 MiB, in L2
