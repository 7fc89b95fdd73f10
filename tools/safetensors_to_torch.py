#!/usr/bin/python3
"""Converts a checkpoint of this package into a PyTorch state_dict for the module
tools/torch_model.py's build(config) makes (Seq2Seq on nn.Transformer where it fits, the
hand-built twin otherwise: the textbook toy), plus the config, vocabularies and tokenizer.

    /usr/bin/python3 tools/safetensors_to_torch.py model.safetensors out_dir/

writes out_dir/model.pt (torch.save of the module's state_dict), out_dir/config.json,
out_dir/src_vocab.txt, out_dir/tgt_vocab.txt and out_dir/tokenizer.json (the tokenizer
kind and, for BPE, its merges: give it to torch_to_safetensors.py to come back).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import build, read_safetensors  # noqa: E402


def main(path, out_dir):
    tensors, meta = read_safetensors(path)
    if meta.get("format") != "vamos-transformer/1":
        sys.exit(f"{path}: not a vamos-transformer checkpoint")
    config = json.loads(meta["config"])
    model = build(config)
    model.load_state({k: v for k, v in tensors.items() if not k.startswith("optimizer.")})
    os.makedirs(out_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out_dir, "model.pt"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for key, name in (("src_vocab", "src_vocab.txt"), ("tgt_vocab", "tgt_vocab.txt")):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write("\n".join(json.loads(meta[key])) + "\n")
    tokenizer = {k: meta[k] for k in ("tokenizer", "bpe_chars", "bpe_merges") if k in meta}
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f)
    print(f"wrote {out_dir}/model.pt ({type(model).__name__}), config.json, src_vocab.txt, "
          "tgt_vocab.txt, tokenizer.json")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
