#!/usr/bin/env python3
"""Check a `swiftlet export` folder against the checkpoint it came from.

1. Loads the folder with transformers' GPT2LMHeadModel.from_pretrained (OPTForCausalLM for an
   OPT checkpoint; offline) and checks that no parameter was missing or unexpected.
2. Computes logits for a few tokens two ways: with that model, and with the plain-torch GPT-2
   (or OPT) forward of reference_support.py from the checkpoint's HDF5 tensors (read with h5py),
   which shares nothing with the export path or with transformers.
3. Checks that the safetensors header carries {"format": "pt"} and that every tensor equals the
   HDF5 one bit for bit.

Exit status 0 and a final "OK" line when everything matches; 1 with the reason otherwise.

Usage: check_export.py --export-dir DIR --checkpoint FILE.h5 [--tokens 5,17,3]
"""

import argparse
import json
import os
import pathlib
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import h5py  # noqa: E402
import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import GPT2LMHeadModel, OPTForCausalLM  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import reference_support as support  # noqa: E402  (the plain-torch forwards)


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


def reference_logits(t, model, tokens):
    """Logits [T, V] for `tokens` from the checkpoint tensors `t`, written without transformers:
    GPT-2 (Radford et al. 2019) or, for an OPT checkpoint, OPT (Zhang et al. 2022) with its
    "pre" or "post" LayerNorm placement."""
    inputs = torch.tensor([tokens])
    if model.get("family") == "opt":
        pre = model.get("layer_norm", "pre") == "pre"
        return support.opt_logits(t, inputs, model["n_layer"], model["n_head"], pre)[0]
    return support.gpt2_logits(t, inputs, model["n_layer"], model["n_head"])[0]


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
        expected = reference_logits(tensors, model, tokens)
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
