#!/usr/bin/python3
"""Converts a checkpoint of this package into a PyTorch state_dict for
tools/torch_model.py's Seq2Seq, plus the config and vocabularies beside it.

    /usr/bin/python3 tools/safetensors_to_torch.py model.safetensors out_dir/

writes out_dir/model.pt (torch.save of the state_dict), out_dir/config.json,
out_dir/src_vocab.txt and out_dir/tgt_vocab.txt.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import Seq2Seq, read_safetensors  # noqa: E402


def main(path, out_dir):
    tensors, meta = read_safetensors(path)
    if meta.get("format") != "vamos-transformer/1":
        sys.exit(f"{path}: not a vamos-transformer checkpoint")
    config = json.loads(meta["config"])
    model = Seq2Seq(config)
    model.load_state({k: v for k, v in tensors.items() if not k.startswith("optimizer.")})
    os.makedirs(out_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out_dir, "model.pt"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for key, name in (("src_vocab", "src_vocab.txt"), ("tgt_vocab", "tgt_vocab.txt")):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write("\n".join(json.loads(meta[key])) + "\n")
    print(f"wrote {out_dir}/model.pt, config.json, src_vocab.txt, tgt_vocab.txt")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
