#!/usr/bin/python3
"""Converts a PyTorch state_dict (.pt) of tools/torch_model.py's Seq2Seq or HandBuilt (or
any module with the same tensor names, with or without a "transformer." prefix) into a
checkpoint that this package's loadModel and `translate.ts --model` read.

    /usr/bin/python3 tools/torch_to_safetensors.py model.pt config.json src_vocab.txt \\
        tgt_vocab.txt out.safetensors [tokenizer.json]

config.json holds the TransformerConfig fields (see README); the vocabulary files hold one
token per line in id order, "<EOS>" included; tokenizer.json (as safetensors_to_torch.py
writes it) gives a BPE tokenizer, without it the tokenizer is word-level. With shared or
tied embeddings the table is stored once, as the package does.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import build, write_safetensors  # noqa: E402


def main(pt, config_path, src_path, tgt_path, out, tokenizer_path=None):
    with open(config_path) as f:
        config = json.load(f)
    vocabs = []
    for path in (src_path, tgt_path):
        with open(path, encoding="utf-8") as f:
            vocabs.append([line.rstrip("\n") for line in f if line.rstrip("\n")])
    config["srcVocab"], config["tgtVocab"] = len(vocabs[0]), len(vocabs[1])
    state = torch.load(pt, map_location="cpu")
    state = {k.replace("transformer.", "", 1): v for k, v in state.items() if k != "pe"}
    # Check names and shapes against the model this config describes.
    expected = build(config).state()
    for name, t in expected.items():
        if name not in state:
            sys.exit(f"{pt}: tensor {name} is missing")
        if tuple(state[name].shape) != tuple(t.shape):
            sys.exit(f"{pt}: tensor {name} has shape {list(state[name].shape)}, expected {list(t.shape)}")
    metadata = {"format": "vamos-transformer/1", "config": json.dumps(config),
                "src_vocab": json.dumps(vocabs[0]), "tgt_vocab": json.dumps(vocabs[1]), "tokenizer": "word"}
    if tokenizer_path:
        with open(tokenizer_path, encoding="utf-8") as f:
            metadata.update(json.load(f))
    write_safetensors(out, [(n, state[n]) for n in expected], metadata)
    print(f"wrote {out}: {sum(state[n].numel() for n in expected)} parameters")


if __name__ == "__main__":
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    main(*sys.argv[1:])
