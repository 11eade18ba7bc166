#!/usr/bin/env python3
"""Check a `swiftlet export` folder against the checkpoint it came from.

1. Loads the folder with transformers' GPT2LMHeadModel.from_pretrained (OPTForCausalLM for an
   OPT checkpoint; offline) and checks that no parameter was missing or unexpected.
2. Computes logits for a few tokens two ways: with that model, and with a plain-torch GPT-2 (or
   OPT) forward written here from the checkpoint's HDF5 tensors (read with h5py), which shares
   nothing with the export path or with transformers.
3. Checks that the safetensors header carries {"format": "pt"} and that every tensor equals the
   HDF5 one bit for bit.

Exit status 0 and a final "OK" line when everything matches; 1 with the reason otherwise.

Usage: check_export.py --export-dir DIR --checkpoint FILE.h5 [--tokens 5,17,3]
"""

import argparse
import json
import math
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import h5py  # noqa: E402
import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import GPT2LMHeadModel, OPTForCausalLM  # noqa: E402


def fail(message):
    print(f"NOT OK: {message}")
    sys.exit(1)


def load_h5_model(path):
    """The /model tensors (as torch float32) and the config JSON of a Swiftlet checkpoint."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "swiftlet-checkpoint":
            fail(f"{path} is not a Swiftlet checkpoint")
        config = json.loads(f.attrs["config"])
        tensors = {name: torch.from_numpy(f["model"][name][()]) for name in f["model"]}
    return tensors, config["model"]


def layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def reference_logits(t, model, tokens):
    """GPT-2 (Radford et al. 2019) forward from the checkpoint tensors: pre-LayerNorm blocks,
    causal multi-head attention, tanh-GELU MLP, final LayerNorm, LM head tied to wte.
    Conv1D weights are [in, out], so projections are x @ W + b."""
    n_layer, n_head, c = model["n_layer"], model["n_head"], model["d_model"]
    head = c // n_head
    ids = torch.tensor(tokens)
    T = len(tokens)
    x = t["transformer.wte.weight"][ids] + t["transformer.wpe.weight"][:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(n_layer):
        p = f"transformer.h.{i}."
        h = layer_norm(x, t[p + "ln_1.weight"], t[p + "ln_1.bias"])
        qkv = h @ t[p + "attn.c_attn.weight"] + t[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(c, dim=-1)
        q, k, v = (z.view(T, n_head, head).transpose(0, 1) for z in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(head)
        scores = scores.masked_fill(~mask, float("-inf"))
        attention = torch.softmax(scores, dim=-1) @ v
        attention = attention.transpose(0, 1).reshape(T, c)
        x = x + attention @ t[p + "attn.c_proj.weight"] + t[p + "attn.c_proj.bias"]
        h = layer_norm(x, t[p + "ln_2.weight"], t[p + "ln_2.bias"])
        h = gelu_tanh(h @ t[p + "mlp.c_fc.weight"] + t[p + "mlp.c_fc.bias"])
        x = x + h @ t[p + "mlp.c_proj.weight"] + t[p + "mlp.c_proj.bias"]
    x = layer_norm(x, t["transformer.ln_f.weight"], t["transformer.ln_f.bias"])
    return x @ t["transformer.wte.weight"].T


def reference_opt_logits(t, model, tokens):
    """OPT (Zhang et al. 2022) forward from the checkpoint tensors: nn.Linear weights [out, in]
    (x @ W.T + b), separate q/k/v projections, ReLU MLP, position t at row t + 2. layer_norm
    "pre": x += attn(LN1(x)); x += mlp(LN2(x)); final LayerNorm. "post" (opt-350m):
    x = LN1(x + attn(x)); x = LN2(x + mlp(x)). project_in/out when the token table is narrower."""
    n_layer, n_head, c = model["n_layer"], model["n_head"], model["d_model"]
    pre = model.get("layer_norm", "pre") == "pre"
    head = c // n_head
    ids = torch.tensor(tokens)
    T = len(tokens)
    d = "model.decoder."

    def linear(x, name):
        y = x @ t[name + ".weight"].T
        return y + t[name + ".bias"] if name + ".bias" in t else y

    def norm(x, name):
        return layer_norm(x, t[name + ".weight"], t[name + ".bias"])

    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))

    def attention(x, p):
        q, k, v = (linear(x, p + f"self_attn.{n}_proj").view(T, n_head, head).transpose(0, 1) for n in "qkv")
        scores = ((q @ k.transpose(-1, -2)) / math.sqrt(head)).masked_fill(~mask, float("-inf"))
        return linear((torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(T, c), p + "self_attn.out_proj")

    def mlp(x, p):
        return linear(torch.relu(linear(x, p + "fc1")), p + "fc2")

    x = t[d + "embed_tokens.weight"][ids]
    if d + "project_in.weight" in t:
        x = linear(x, d + "project_in")
    x = x + t[d + "embed_positions.weight"][2 : T + 2]
    for i in range(n_layer):
        p = f"{d}layers.{i}."
        if pre:
            x = x + attention(norm(x, p + "self_attn_layer_norm"), p)
            x = x + mlp(norm(x, p + "final_layer_norm"), p)
        else:
            x = norm(x + attention(x, p), p + "self_attn_layer_norm")
            x = norm(x + mlp(x, p), p + "final_layer_norm")
    if pre:
        x = norm(x, d + "final_layer_norm")
    if d + "project_out.weight" in t:
        x = linear(x, d + "project_out")
    return x @ t[d + "embed_tokens.weight"].T


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export-dir", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--tokens", default=None, help="comma-separated token ids")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    tensors, model = load_h5_model(args.checkpoint)
    vocab, n_ctx = model["vocab_size"], model["n_ctx"]
    if args.tokens:
        tokens = [int(x) for x in args.tokens.split(",")]
    else:
        tokens = [(7 * i + 3) % vocab for i in range(min(n_ctx, 10))]

    # 1. transformers loads the folder with nothing missing or unexpected.
    is_opt = model.get("family") == "opt"
    model_class = OPTForCausalLM if is_opt else GPT2LMHeadModel
    hf, info = model_class.from_pretrained(
        args.export_dir, output_loading_info=True, local_files_only=True
    )
    hf.eval()
    missing = [k for k in info["missing_keys"] if not k.endswith(("attn.bias", "attn.masked_bias"))]
    missing = [k for k in missing if k != "lm_head.weight"]  # tied to the token embedding
    if missing or info["unexpected_keys"] or info.get("mismatched_keys"):
        fail(f"loading info: missing {missing}, unexpected {info['unexpected_keys']}, "
             f"mismatched {info.get('mismatched_keys')}")
    shape = (hf.config.num_hidden_layers, hf.config.num_attention_heads, hf.config.hidden_size, hf.config.vocab_size)
    if shape != (model["n_layer"], model["n_head"], model["d_model"], vocab):
        fail(f"config.json shape {hf.config} differs from the checkpoint's {model}")

    # 2. Logits: transformers vs the plain-torch forward from the HDF5 tensors.
    with torch.no_grad():
        got = hf(torch.tensor([tokens])).logits[0]
        expected = (reference_opt_logits if is_opt else reference_logits)(tensors, model, tokens)
    diff = (got - expected).abs().max().item()
    if not diff <= args.tolerance:
        fail(f"logits differ: max |diff| = {diff:.3e} > {args.tolerance}")

    # 3. The safetensors file itself.
    path = os.path.join(args.export_dir, "model.safetensors")
    with safe_open(path, framework="pt") as f:
        if f.metadata() != {"format": "pt"}:
            fail(f"safetensors metadata is {f.metadata()}, expected {{'format': 'pt'}}")
        keys = set(f.keys())
        prefix = "" if is_opt else "transformer."  # GPT-2 hub keys drop it; OPT keys are the names
        expected_keys = {name[len(prefix):] for name in tensors}
        if keys != expected_keys:
            fail(f"safetensors keys differ: extra {keys - expected_keys}, missing {expected_keys - keys}")
        for key in sorted(keys):
            if not torch.equal(f.get_tensor(key), tensors[prefix + key]):
                fail(f"tensor {key} differs from the checkpoint")

    print(f"OK: {len(tokens)} tokens, logits {tuple(got.shape)}, max |diff| = {diff:.3e}, "
          f"{len(keys)} tensors bit-identical")


if __name__ == "__main__":
    main()
