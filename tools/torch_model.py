"""The PyTorch twin of this package's Transformer, and safetensors I/O with the
standard library: shared by the fixture generator and the weight converters.

    from torch_model import Seq2Seq
    model = Seq2Seq(config)          # config: the TransformerConfig fields, as a dict
    logits = model(src, src_pad, tgt_in, tgt_pad)

Its state_dict (through .state()) has exactly the tensor names of our checkpoints.
"""
import json
import math
import struct

import torch
import torch.nn as nn


def positional_encoding(max_len, d):
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    for pos in range(max_len):
        for i in range(d):
            angle = pos / 10000 ** ((2 * (i // 2)) / d)
            pe[pos, i] = math.sin(angle) if i % 2 == 0 else math.cos(angle)
    return pe.float()


class Seq2Seq(nn.Module):
    """Embeddings + positions + nn.Transformer + generator, batch first."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c["dModel"]
        self.src_embed = nn.Embedding(c["srcVocab"], d)
        self.tgt_embed = nn.Embedding(c["tgtVocab"], d)
        self.transformer = nn.Transformer(
            d_model=d, nhead=c["heads"], num_encoder_layers=c["encoderLayers"],
            num_decoder_layers=c["decoderLayers"], dim_feedforward=c["dFF"], dropout=0.0,
            activation=c["activation"], batch_first=True, norm_first=c["norm"] == "pre",
            layer_norm_eps=c["normEps"],
        )
        self.generator = nn.Linear(d, c["tgtVocab"])
        self.register_buffer("pe", positional_encoding(c["maxLen"], d))

    def embed(self, table, ids):
        return table(ids) * math.sqrt(self.c["dModel"]) + self.pe[: ids.shape[1]]

    def encode(self, src, src_pad):
        return self.transformer.encoder(self.embed(self.src_embed, src), src_key_padding_mask=src_pad)

    def decode(self, tgt, memory, tgt_pad, src_pad):
        t = tgt.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        h = self.transformer.decoder(
            self.embed(self.tgt_embed, tgt), memory, tgt_mask=causal,
            tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad,
        )
        return self.generator(h)

    def forward(self, src, src_pad, tgt, tgt_pad):
        return self.decode(tgt, self.encode(src, src_pad), tgt_pad, src_pad)

    def state(self):
        """The state_dict under this package's tensor names."""
        return {k.replace("transformer.", "", 1): v for k, v in self.state_dict().items() if k != "pe"}

    def load_state(self, tensors):
        """Loads tensors named as in our checkpoints (strict: every name must match)."""
        self.load_state_dict({("transformer." + k if k.startswith(("encoder.", "decoder.")) else k): v
                              for k, v in tensors.items()} | {"pe": self.pe}, strict=True)


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, t in tensors:
        data = t.detach().contiguous().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    j = json.dumps(header, separators=(",", ":")).encode()
    j += b" " * ((8 - len(j) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(j)))
        f.write(j)
        for b in blobs:
            f.write(b)



def read_safetensors(path):
    """Returns ({name: tensor}, metadata) from a safetensors file (F32, F16, BF16)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    tensors = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + a:base + b]), dtype=dtypes[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).float()
    return tensors, meta
