#!/usr/bin/python3
"""PyTorch's side of `deno task bench:compare`: the same operations on the same cores,
timed the same way (best of several runs), printed as one JSON object.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch_peer.py 1

The thread count (default 1) applies to PyTorch's own threads; set OPENBLAS_NUM_THREADS
and OMP_NUM_THREADS to the same in the environment, as bench/compare.ts does. PyTorch's
matrix products go to whatever libblas.so.3 the loader finds: bench/compare.ts points
LD_LIBRARY_PATH at Debian's OpenMP build of OpenBLAS (libopenblas0-openmp), since the
default pthread build fights PyTorch's OpenMP threads and gets slower on 2 threads.
The BLAS libraries loaded and PyTorch's thread setup are printed with the results.

- softmax over 4096×128 and 4096×1024 rows (million elements per second);
- causal attention forward at (batch·heads, seq, head_dim) = (32, 64, 32): baddbmm +
  masked softmax + bmm, milliseconds per call.

    /usr/bin/python3 bench/torch_peer.py 2 steps

runs the training step of the reference configuration instead (d_model 128, 4 heads, 2+2
layers, feed-forward 512, post-norm relu, dropout 0.1, vocabularies of 1,000, batch 32×20,
label smoothing 0.1, Adam, with tools/torch_model.py's Seq2Seq, nn.Transformer) on
request, for bench/compare.ts to interleave with its own steps: it prints its setup as
JSON, warms up for 3 s, prints "ready", then for every line "step" on standard input runs
one step and prints its milliseconds; the end of input ends it.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_model import Seq2Seq  # noqa: E402


def best(fn, repeats=7, inner=1):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return min(times)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads the BLAS
    with open("/proc/self/maps") as maps:
        libs = sorted({line.split()[-1] for line in maps if "blas" in line and "/" in line})
    info = torch.__config__.parallel_info().splitlines()
    backend = next((l.split(":", 1)[1].strip() for l in info if "parallel backend" in l), "?")
    out = {"threads": threads, "version": torch.__version__, "blas": ", ".join(libs) or "none",
           "parallel": f"{torch.get_num_threads()} ({backend})"}
    if len(sys.argv) > 2 and sys.argv[2] == "steps":
        serve_steps(out)
        return
    torch.manual_seed(0)
    with torch.no_grad():
        for rows, cols in ((4096, 128), (4096, 1024)):
            x = torch.randn(rows, cols)
            out[f"softmax_{rows}x{cols}_melem_s"] = rows * cols / best(lambda: torch.softmax(x, -1)) / 1e6
        bh, seq, dh = 32, 64, 32
        q, k, v = (torch.randn(bh, seq, dh) for _ in range(3))
        mask = torch.triu(torch.full((seq, seq), float("-inf")), diagonal=1)

        def attention():
            s = torch.baddbmm(mask.expand(bh, seq, seq), q, k.transpose(1, 2), alpha=dh ** -0.5)
            return torch.bmm(torch.softmax(s, -1), v)

        out["attention_32x64x32_ms"] = best(attention, inner=20) * 1000
    print(json.dumps(out))


def training_step():
    """One training step of the reference configuration, as a function."""
    config = dict(srcVocab=1000, tgtVocab=1000, dModel=128, heads=4, encoderLayers=2, decoderLayers=2,
                  dFF=512, activation="relu", norm="post", finalNorm=True, scaleAttention=True,
                  scaleEmbedding=True, shareEmbeddings=False, tieOutput=False, attentionBias=True,
                  attentionOutProj=True, dropout=0.1, normEps=1e-5, startToken="sos", maxLen=32)
    torch.manual_seed(1)
    model = Seq2Seq(config)
    for layer in model.modules():  # the twin is built for parity (no dropout): add it
        if isinstance(layer, torch.nn.Dropout):
            layer.p = 0.1
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    src = torch.randint(0, 997, (32, 20))
    tgt_in = torch.randint(0, 997, (32, 20))
    labels = torch.randint(0, 997, (32, 20))
    no_pad = torch.zeros(32, 20, dtype=torch.bool)

    def step():
        opt.zero_grad()
        logits = model(src, no_pad, tgt_in, no_pad)
        F.cross_entropy(logits.flatten(0, 1), labels.flatten(), label_smoothing=0.1).backward()
        opt.step()

    return step


def serve_steps(info):
    """Steps on request (see the top of the file); the setup is printed first, as JSON."""
    print(json.dumps(info), flush=True)
    step = training_step()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 3:
        step()
    print("ready", flush=True)
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        if line.strip() != "step":
            continue
        t0 = time.perf_counter()
        step()
        print(f"{(time.perf_counter() - t0) * 1000:.4f}", flush=True)


if __name__ == "__main__":
    main()
