#!/usr/bin/python3
"""PyTorch reference fixtures for the parity tests (tests/torch_parity_test.ts).

Run with Debian's PyTorch 1.13 (apt-get install -y python3-torch):

    /usr/bin/python3 tools/torch_fixtures.py

For each case it builds embeddings (scaled by sqrt(d_model)) + sinusoidal positions +
nn.Transformer (or, for the textbook toy, a hand-built module PyTorch cannot express with
nn.Transformer) + a generator Linear, from a fixed seed, runs one padded batch and writes
tests/fixtures/torch/<case>.safetensors with:

  - the weights, named as nn.Transformer's state_dict (the checkpoint format of this
    package, loadable with loadModel),
  - expected.logits, expected.grad.<name>, expected.adam.<name> (parameters after one
    Adam step), and in __metadata__ the batch, the loss and the greedy decoding.

Only the standard library and torch are used; the output is byte-for-byte reproducible.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import Seq2Seq, positional_encoding, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "torch")
SMOOTHING = 0.1
ADAM = dict(lr=1e-3, betas=(0.9, 0.98), eps=1e-9)


class Toy(nn.Module):
    """The textbook toy: one head, d_model 2, no norm, no feed-forward, no attention
    biases or output projection, unscaled dot products, unscaled embeddings."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c["dModel"]
        self.src_embed = nn.Embedding(c["srcVocab"], d)
        self.tgt_embed = nn.Embedding(c["tgtVocab"], d)
        # ParameterDict keys cannot contain dots: "__" stands for "." until state().
        self.w = nn.ParameterDict({
            "encoder__layers__0__self_attn__in_proj_weight": nn.Parameter(torch.empty(3 * d, d)),
            "decoder__layers__0__self_attn__in_proj_weight": nn.Parameter(torch.empty(3 * d, d)),
            "decoder__layers__0__multihead_attn__in_proj_weight": nn.Parameter(torch.empty(3 * d, d)),
        })
        for p in self.w.values():
            nn.init.xavier_uniform_(p)
        self.generator = nn.Linear(d, c["tgtVocab"])
        self.register_buffer("pe", positional_encoding(c["maxLen"], d))

    def attend(self, name, xq, xkv, key_pad, causal):
        d = self.c["dModel"]
        w = self.w[name.replace(".", "__")]
        q, k, v = xq @ w[:d].T, xkv @ w[d:2 * d].T, xkv @ w[2 * d:].T
        s = q @ k.transpose(1, 2)
        s = s.masked_fill(key_pad[:, None, :], float("-inf"))
        if causal:
            t = xq.shape[1]
            s = s + torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        return torch.softmax(s, dim=-1) @ v

    def encode(self, src, src_pad):
        x = self.src_embed(src) + self.pe[: src.shape[1]]
        return x + self.attend("encoder.layers.0.self_attn.in_proj_weight", x, x, src_pad, False)

    def decode(self, tgt, memory, tgt_pad, src_pad):
        y = self.tgt_embed(tgt) + self.pe[: tgt.shape[1]]
        y = y + self.attend("decoder.layers.0.self_attn.in_proj_weight", y, y, tgt_pad, True)
        y = y + self.attend("decoder.layers.0.multihead_attn.in_proj_weight", y, memory, src_pad, False)
        return self.generator(y)

    def state(self):
        return {k.replace("w.", "", 1).replace("__", "."): v
                for k, v in self.state_dict().items() if k != "pe"}


def pad(seqs, value):
    n = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (n - len(s)) for s in seqs]), torch.tensor(
        [[i >= len(s) for i in range(n)] for s in seqs])


def greedy(model, src, src_pad, start, eos, max_tokens):
    with torch.no_grad():
        memory = model.encode(src, src_pad)
        out = [[] for _ in range(src.shape[0])]
        done = [False] * src.shape[0]
        ys = torch.full((src.shape[0], 1), start)
        for _ in range(max_tokens):
            no_pad = torch.zeros(ys.shape, dtype=torch.bool)
            logits = model.decode(ys, memory, no_pad, src_pad)[:, -1]
            nxt = logits.argmax(-1)
            for b, t in enumerate(nxt.tolist()):
                if not done[b]:
                    if t == eos:
                        done[b] = True
                    else:
                        out[b].append(t)
            ys = torch.cat([ys, nxt[:, None]], 1)
            if all(done):
                break
        return out


def config(**over):
    c = dict(srcVocab=11, tgtVocab=11, dModel=32, heads=4, encoderLayers=2, decoderLayers=2, dFF=64,
             activation="relu", norm="post", finalNorm=True, scaleAttention=True, scaleEmbedding=True,
             shareEmbeddings=False, tieOutput=False, attentionBias=True, attentionOutProj=True,
             dropout=0.0, normEps=1e-5, startToken="sos", maxLen=16)
    c.update(over)
    return c


def vocab(n, sos):
    words = [f"w{i}" for i in range(n - (2 if sos else 1))]
    return words + (["<SOS>"] if sos else []) + ["<EOS>"]


def run_case(name, c, make, seed, src, tgt):
    torch.manual_seed(seed)
    model = make(c)
    if isinstance(model, Seq2Seq):
        # The paper's initialization for matrices; biases as PyTorch leaves them.
        for p in model.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
    src_vocab, tgt_vocab = vocab(c["srcVocab"], False), vocab(c["tgtVocab"], c["startToken"] == "sos")
    eos_src, eos_tgt = len(src_vocab) - 1, len(tgt_vocab) - 1
    start = tgt_vocab.index("<SOS>") if c["startToken"] == "sos" else eos_tgt
    src_seqs = [s + [eos_src] for s in src]
    tgt_in = [[start] + t for t in tgt]
    labels = [t + [eos_tgt] for t in tgt]
    weights = [(k, v.clone()) for k, v in model.state().items()]

    s_ids, s_pad = pad(src_seqs, 0)
    t_ids, t_pad = pad(tgt_in, 0)
    lab, _ = pad(labels, -1)
    decoded = greedy(model, s_ids, s_pad, start, eos_tgt, c["maxLen"] - 1)
    model.train()  # dropout is 0; training mode keeps PyTorch off its inference fast path
    logits = model.decode(t_ids, model.encode(s_ids, s_pad), t_pad, s_pad)
    loss = F.cross_entropy(logits.reshape(-1, c["tgtVocab"]), lab.reshape(-1), ignore_index=-1,
                           label_smoothing=SMOOTHING)
    loss.backward()
    named = dict((k.replace("transformer.", "", 1).replace("w.", "", 1).replace("__", "."), p)
                 for k, p in model.named_parameters())
    grads = [(f"expected.grad.{k}", named[k].grad.clone()) for k, _ in weights]
    opt = torch.optim.Adam(model.parameters(), **ADAM)
    opt.step()
    after = [(f"expected.adam.{k}", named[k].detach().clone()) for k, _ in weights]
    metadata = {
        "format": "vamos-transformer/1",
        "config": json.dumps(c),
        "src_vocab": json.dumps(src_vocab),
        "tgt_vocab": json.dumps(tgt_vocab),
        "tokenizer": "word",
        "fixture": json.dumps({
            "case": name, "src": src_seqs, "tgt_in": tgt_in, "labels": labels, "loss": loss.item(),
            "smoothing": SMOOTHING, "adam": {"lr": ADAM["lr"], "beta1": ADAM["betas"][0],
                                             "beta2": ADAM["betas"][1], "eps": ADAM["eps"]},
            "greedy": decoded, "torch": torch.__version__,
        }),
    }
    tensors = weights + [("expected.logits", logits.detach())] + grads + after
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors, metadata)
    print(f"{name}: loss {loss.item():.6f}, {sum(v.numel() for _, v in weights)} parameters, greedy {decoded}")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    src = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 2]]
    tgt = [[3, 1, 4], [5, 9, 2, 6, 5], [8]]
    run_case("post_norm_relu", config(), Seq2Seq, 1, src, tgt)
    run_case("pre_norm_gelu", config(norm="pre", activation="gelu"), Seq2Seq, 2, src, tgt)
    run_case("vocab_and_lengths", config(srcVocab=13, tgtVocab=9, maxLen=12), Seq2Seq, 3,
             [[1, 2], [3, 4, 5, 6, 7, 8, 9, 10], [11, 0, 1, 2]], [[1, 2, 3, 4, 5, 6], [6], [2, 3]])
    toy = config(srcVocab=4, tgtVocab=4, dModel=2, heads=1, encoderLayers=1, decoderLayers=1, dFF=0,
                 norm="none", finalNorm=False, scaleAttention=False, scaleEmbedding=False,
                 attentionBias=False, attentionOutProj=False, startToken="eos", maxLen=8)
    run_case("textbook_toy", toy, Toy, 12, [[0, 2], [1, 2]], [[1], [0]])


if __name__ == "__main__":
    sys.exit(main())
