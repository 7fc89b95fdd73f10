"""The PyTorch twin of this package's Transformer, and safetensors I/O with the
standard library: shared by the fixture generator and the weight converters.

    from torch_model import Seq2Seq, build
    model = Seq2Seq(config)          # config: the TransformerConfig fields, as a dict
    logits = model(src, src_pad, tgt_in, tgt_pad)
    model = build(config)            # any config: HandBuilt where nn.Transformer cannot

Their state_dicts (through .state()) have exactly the tensor names of our checkpoints.
"""
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


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
        self.tgt_embed = self.src_embed if c.get("shareEmbeddings") else nn.Embedding(c["tgtVocab"], d)
        self.transformer = nn.Transformer(
            d_model=d, nhead=c["heads"], num_encoder_layers=c["encoderLayers"],
            num_decoder_layers=c["decoderLayers"], dim_feedforward=c["dFF"], dropout=0.0,
            activation=c["activation"], batch_first=True, norm_first=c["norm"] == "pre",
            layer_norm_eps=c["normEps"],
        )
        self.generator = nn.Linear(d, c["tgtVocab"])
        if c.get("tieOutput"):
            self.generator.weight = self.tgt_embed.weight
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
        """The state_dict under this package's tensor names (a shared or tied table once)."""
        return tidy_state({k.replace("transformer.", "", 1): v for k, v in self.state_dict().items()}, self.c)

    def load_state(self, tensors):
        """Loads tensors named as in our checkpoints (strict: every name must match)."""
        full = untidy_state(tensors, self.c)
        self.load_state_dict({("transformer." + k if k.startswith(("encoder.", "decoder.")) else k): v
                              for k, v in full.items()} | {"pe": self.pe}, strict=True)


def tidy_state(state, c):
    """Our checkpoint's tensors from a state_dict: no buffer, and a table that is shared
    (tgt_embed = src_embed) or tied (generator.weight = tgt_embed) only once."""
    out = {k: v for k, v in state.items() if k != "pe"}
    if c.get("shareEmbeddings"):
        out.pop("tgt_embed.weight", None)
    if c.get("tieOutput"):
        out.pop("generator.weight", None)
    return out


def untidy_state(tensors, c):
    """The inverse of tidy_state: every name a module has, shared tables repeated."""
    full = dict(tensors)
    if c.get("shareEmbeddings"):
        full["tgt_embed.weight"] = full["src_embed.weight"]
    if c.get("tieOutput"):
        full["generator.weight"] = full["tgt_embed.weight"]
    return full


class Attention(nn.Module):
    """Multi-head attention with this package's options: biases, output projection and
    the 1/sqrt(d_head) scale can each be left out (the textbook toy has none of them)."""

    def __init__(self, d, heads, bias, out_proj):
        super().__init__()
        self.d, self.heads = d, heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d, d))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d)) if bias else None
        self.out_proj = nn.Linear(d, d, bias=bias) if out_proj else None

    def forward(self, xq, xkv, key_pad, causal, scaled):
        d, h = self.d, self.heads
        w, b = self.in_proj_weight, self.in_proj_bias
        part = (lambda i: b[i * d:(i + 1) * d]) if b is not None else (lambda i: None)
        q = F.linear(xq, w[:d], part(0))
        k = F.linear(xkv, w[d:2 * d], part(1))
        v = F.linear(xkv, w[2 * d:], part(2))
        split = lambda x: x.view(x.shape[0], x.shape[1], h, d // h).transpose(1, 2)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        s = q @ k.transpose(-1, -2)
        if scaled:
            s = s / math.sqrt(d // h)
        s = s.masked_fill(key_pad[:, None, None, :], float("-inf"))
        if causal:
            t = xq.shape[1]
            s = s + torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        o = torch.nan_to_num(torch.softmax(s, dim=-1)) @ v  # no visible key: zeros, as ours
        o = o.transpose(1, 2).reshape(xq.shape[0], xq.shape[1], d)
        return self.out_proj(o) if self.out_proj is not None else o


class Layer(nn.Module):
    """An encoder layer (self-attention, feed-forward) or, with cross=True, a decoder
    layer (masked self-attention, encoder-decoder attention, feed-forward)."""

    def __init__(self, c, cross):
        super().__init__()
        d, bias, proj = c["dModel"], c["attentionBias"], c["attentionOutProj"]
        self.c, self.cross = c, cross
        self.self_attn = Attention(d, c["heads"], bias, proj)
        if cross:
            self.multihead_attn = Attention(d, c["heads"], bias, proj)
        if c["dFF"]:
            self.linear1 = nn.Linear(d, c["dFF"])
            self.linear2 = nn.Linear(c["dFF"], d)
        if c["norm"] != "none":
            count = (3 if cross else 2) - (0 if c["dFF"] else 1)
            for i in range(count):
                setattr(self, f"norm{i + 1}", nn.LayerNorm(d, eps=c["normEps"]))

    def forward(self, x, self_pad, memory=None, memory_pad=None):
        c = self.c
        scaled = c["scaleAttention"]
        act = F.relu if c["activation"] == "relu" else F.gelu
        subs = [lambda h: self.self_attn(h, h, self_pad, self.cross, scaled)]
        if self.cross:
            subs.append(lambda h: self.multihead_attn(h, memory, memory_pad, False, scaled))
        if c["dFF"]:
            subs.append(lambda h: self.linear2(act(self.linear1(h))))
        for i, sub in enumerate(subs):
            norm = getattr(self, f"norm{i + 1}", None)
            if c["norm"] == "post":
                x = norm(x + sub(x))
            elif c["norm"] == "pre":
                x = x + sub(norm(x))
            else:
                x = x + sub(x)
        return x


class HandBuilt(nn.Module):
    """Every configuration this package has, built from plain layers with exactly our
    tensor names: for the models nn.Transformer cannot express (the textbook toy: no
    norms, biases, feed-forward or output projection; unscaled attention)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c["dModel"]
        self.src_embed = nn.Embedding(c["srcVocab"], d)
        self.tgt_embed = self.src_embed if c["shareEmbeddings"] else nn.Embedding(c["tgtVocab"], d)
        has_norm = c["norm"] != "none" and c["finalNorm"]
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList([Layer(c, False) for _ in range(c["encoderLayers"])])
        if has_norm and c["encoderLayers"] > 0:
            self.encoder.norm = nn.LayerNorm(d, eps=c["normEps"])
        self.decoder = nn.Module()
        self.decoder.layers = nn.ModuleList([Layer(c, True) for _ in range(c["decoderLayers"])])
        if has_norm:
            self.decoder.norm = nn.LayerNorm(d, eps=c["normEps"])
        self.generator = nn.Linear(d, c["tgtVocab"])
        if c["tieOutput"]:
            self.generator.weight = self.tgt_embed.weight
        self.register_buffer("pe", positional_encoding(c["maxLen"], d))

    def embed(self, table, ids):
        scale = math.sqrt(self.c["dModel"]) if self.c["scaleEmbedding"] else 1.0
        return table(ids) * scale + self.pe[: ids.shape[1]]

    def encode(self, src, src_pad):
        x = self.embed(self.src_embed, src)
        for layer in self.encoder.layers:
            x = layer(x, src_pad)
        norm = getattr(self.encoder, "norm", None)
        return norm(x) if norm is not None else x

    def decode(self, tgt, memory, tgt_pad, src_pad):
        y = self.embed(self.tgt_embed, tgt)
        for layer in self.decoder.layers:
            y = layer(y, tgt_pad, memory, src_pad)
        norm = getattr(self.decoder, "norm", None)
        return self.generator(norm(y) if norm is not None else y)

    def forward(self, src, src_pad, tgt, tgt_pad):
        return self.decode(tgt, self.encode(src, src_pad), tgt_pad, src_pad)

    def state(self):
        """The state_dict under this package's tensor names (a shared or tied table once)."""
        return tidy_state(self.state_dict(), self.c)

    def load_state(self, tensors):
        """Loads tensors named as in our checkpoints (strict: every name must match)."""
        self.load_state_dict(untidy_state(tensors, self.c) | {"pe": self.pe}, strict=True)


def fits_nn_transformer(c):
    """True when nn.Transformer expresses the config exactly."""
    return (c["norm"] in ("post", "pre") and c["finalNorm"] and c["dFF"] > 0 and c["attentionBias"]
            and c["attentionOutProj"] and c["scaleAttention"] and c["scaleEmbedding"]
            and c["encoderLayers"] > 0)


def build(c):
    """The PyTorch twin of a config: Seq2Seq (nn.Transformer) where it fits, else HandBuilt."""
    return Seq2Seq(c) if fits_nn_transformer(c) else HandBuilt(c)


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
    """Returns ({name: tensor}, metadata) from a safetensors file (F32, F16, BF16, I8);
    the vocabulary shortlist (U8/U16 token lists, not weights) is left out."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I8": torch.int8}
    tensors = {}
    for name, info in header.items():
        if info["dtype"] in ("U8", "U16"):
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + a:base + b]), dtype=dtypes[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).float()
    if meta.get("quantization") == "int8-rowwise":
        # 8-bit matrices: value = q * the row's scale (as this package reads them).
        for name in [n for n in tensors if n.endswith(".scale")]:
            scale = tensors.pop(name)
            weight = name[: -len(".scale")]
            tensors[weight] = tensors[weight] * scale[:, None]
    return tensors, meta
