#!/usr/bin/env python3
"""Make the released-weight fixtures that Swiftlet's import tests read, and check import results.

Released weights cannot be downloaded on the test machines, so the tests make their own:
small random ``GPT2LMHeadModel`` and ``OPTForCausalLM`` folders written with
``save_pretrained(..., safe_serialization=True)`` (float32, and the GPT-2 also in float16,
bfloat16 and as a sharded folder), an llm.c ``gpt2_*.bin`` file written from the same GPT-2
following llm.c's documented layout, a token shard, and what ``transformers`` computes on one
fixed batch of that shard (the mean cross-entropy and the logits).

    python3 Tests/Reference/make_import_fixtures.py make --output DIR [--size tiny|124M]
    python3 Tests/Reference/make_import_fixtures.py compare --checkpoint FILE.h5 --folder DIR
    python3 Tests/Reference/make_import_fixtures.py logits --folder DIR --reference DIR/NAME

``make`` writes into DIR: ``gpt2_f32/``, ``gpt2_f16/``, ``gpt2_bf16/``, ``gpt2_sharded/``,
``opt_f32/``, ``gpt2.llmc.bin`` and ``gpt2.llmc.bf16.bin`` (llm.c versions 3 and 2; tiny only), ``tokens.bin`` (a token shard in the llm.c shard
format, docs/data.md) and ``reference.json``: per folder its loss and the name of a raw
little-endian float32 file of its logits [B, T, V] on the batch (B sequences of T + 1 tokens
starting at token b·T of tokens.bin, as ``swiftlet eval`` takes them). ``--size 124M`` makes
only a GPT-2 124M-shaped ``gpt2_f32/`` (about 500 MB: keep it out of the repository).

``compare`` checks that every ``/model`` tensor of a Swiftlet checkpoint equals the folder's
tensor converted to float32, bit for bit. ``logits`` loads a folder (e.g. a ``swiftlet export``)
with transformers and compares its logits on the batch with a reference. Both print ``OK: …``
and exit 0, or exit 1 naming the first difference.
"""

import argparse
import copy
import json
import pathlib
import struct
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel, OPTConfig, OPTForCausalLM

MODEL_SEED, DATA_SEED = 1234, 99
B, T, VOCAB = 4, 16, 67
SHARD_TOKENS = 400


def tiny_gpt2() -> GPT2LMHeadModel:
    config = GPT2Config(
        n_layer=2, n_head=4, n_embd=32, n_positions=T, vocab_size=VOCAB, activation_function="gelu_new",
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=1e-5, tie_word_embeddings=True,
        bos_token_id=VOCAB - 1, eos_token_id=VOCAB - 1)
    return randomised(GPT2LMHeadModel, config)


def tiny_opt() -> OPTForCausalLM:
    config = OPTConfig(
        num_hidden_layers=2, num_attention_heads=4, hidden_size=32, ffn_dim=128, max_position_embeddings=T,
        vocab_size=VOCAB, word_embed_proj_dim=32, do_layer_norm_before=True, activation_function="relu",
        dropout=0.0, attention_dropout=0.0, layerdrop=0.0, pad_token_id=None, bos_token_id=VOCAB - 1,
        eos_token_id=VOCAB - 1, tie_word_embeddings=True)
    return randomised(OPTForCausalLM, config)


def gpt2_124m() -> GPT2LMHeadModel:
    config = GPT2Config(activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    config._attn_implementation = "eager"
    torch.manual_seed(MODEL_SEED)
    return GPT2LMHeadModel(config).eval()


def randomised(model_class, config):
    """Every parameter drawn at random (LayerNorm weights and biases too), so a tensor read
    from the wrong place or in the wrong layout cannot go unnoticed."""
    config._attn_implementation = "eager"
    torch.manual_seed(MODEL_SEED)
    model = model_class(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            scale = 0.3 if parameter.dim() >= 2 else 0.1
            parameter.copy_(torch.randn_like(parameter) * scale + (1.0 if "norm" in name and name.endswith("weight") else 0.0))
    return model


def tokens(vocab: int) -> np.ndarray:
    generator = torch.Generator().manual_seed(DATA_SEED)
    return torch.randint(0, vocab, (SHARD_TOKENS,), generator=generator).numpy().astype(np.uint16)


def write_shard(path: pathlib.Path, values: np.ndarray) -> None:
    """llm.c token shard: 256 int32 (magic 20240520, version 1, count), then uint16 tokens."""
    header = np.zeros(256, dtype="<i4")
    header[:3] = [20240520, 1, len(values)]
    path.write_bytes(header.tobytes() + values.astype("<u2").tobytes())


def batch(values: np.ndarray, t: int):
    """B sequences of t + 1 tokens starting at b·t (contract section 3, step 0)."""
    rows = np.stack([values[b * t:b * t + t + 1] for b in range(B)]).astype(np.int64)
    return torch.from_numpy(rows[:, :t]), torch.from_numpy(rows[:, 1:])


def loss_and_logits(model, inputs, targets):
    with torch.no_grad():
        logits = model(inputs).logits.float()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    return float(loss), logits


def save(model, folder: pathlib.Path, dtype=torch.float32, **options) -> None:
    copy.deepcopy(model).to(dtype).save_pretrained(folder, safe_serialization=True, **options)


def write_llmc(model: GPT2LMHeadModel, path: pathlib.Path, padded_vocab: int, bfloat16: bool = False) -> None:
    """llm.c's gpt2 checkpoint: 256 int32 header (magic 20240326, version 3 = float32 or 2 =
    bfloat16, maxT, V, L, NH, C, Vp), then the parameters in llm.c's order with nn.Linear
    weights [out, in] (Conv1D weights transposed) and wte padded with zero rows to Vp."""
    c, sd = model.config, {k: v.detach().float() for k, v in model.state_dict().items()}
    L = c.n_layer
    header = np.zeros(256, dtype="<i4")
    header[:8] = [20240326, 2 if bfloat16 else 3, c.n_positions, c.vocab_size, L, c.n_head, c.n_embd, padded_vocab]
    wte = torch.zeros(padded_vocab, c.n_embd)
    wte[:c.vocab_size] = sd["transformer.wte.weight"]
    parts = [wte, sd["transformer.wpe.weight"]]

    def stack(suffix, transpose=False):
        return torch.stack([sd[f"transformer.h.{i}.{suffix}"].t() if transpose else sd[f"transformer.h.{i}.{suffix}"]
                            for i in range(L)])
    parts += [stack("ln_1.weight"), stack("ln_1.bias"), stack("attn.c_attn.weight", True), stack("attn.c_attn.bias"),
              stack("attn.c_proj.weight", True), stack("attn.c_proj.bias"), stack("ln_2.weight"), stack("ln_2.bias"),
              stack("mlp.c_fc.weight", True), stack("mlp.c_fc.bias"), stack("mlp.c_proj.weight", True),
              stack("mlp.c_proj.bias"), sd["transformer.ln_f.weight"], sd["transformer.ln_f.bias"]]
    with open(path, "wb") as out:
        out.write(header.tobytes())
        for part in parts:
            if bfloat16:
                out.write(part.contiguous().to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes())
            else:
                out.write(part.contiguous().numpy().astype("<f4").tobytes())


def make(output: pathlib.Path, size: str) -> None:
    torch.set_num_threads(1)
    output.mkdir(parents=True, exist_ok=True)
    reference = {"batch": {"B": B, "T": T}}
    if size == "124M":
        model = gpt2_124m()
        values = tokens(model.config.vocab_size)
        t = 64
        reference["batch"]["T"] = t
        save(model, output / "gpt2_f32")
        folders = ["gpt2_f32"]
    else:
        gpt2, opt = tiny_gpt2(), tiny_opt()
        values, t = tokens(VOCAB), T
        save(gpt2, output / "gpt2_f32")
        save(gpt2, output / "gpt2_f16", torch.float16)
        save(gpt2, output / "gpt2_bf16", torch.bfloat16)
        save(gpt2, output / "gpt2_sharded", max_shard_size="20KB")
        save(opt, output / "opt_f32")
        write_llmc(gpt2, output / "gpt2.llmc.bin", padded_vocab=128)
        write_llmc(gpt2, output / "gpt2.llmc.bf16.bin", padded_vocab=128, bfloat16=True)
        folders = ["gpt2_f32", "gpt2_f16", "gpt2_bf16", "gpt2_sharded", "opt_f32"]
    write_shard(output / "tokens.bin", values)
    inputs, targets = batch(values, t)
    for name in folders:
        # What the folder holds, read back as float32 (as swiftlet imports it).
        model = AutoModelForCausalLM.from_pretrained(output / name, torch_dtype=torch.float32,
                                                     attn_implementation="eager").eval()
        loss, logits = loss_and_logits(model, inputs, targets)
        (output / f"{name}.logits.f32").write_bytes(logits.numpy().astype("<f4").tobytes())
        reference[name] = {"loss": loss, "logits": f"{name}.logits.f32", "shape": list(logits.shape)}
    (output / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(f"OK: wrote {', '.join(sorted(folders))} to {output}")


def compare(checkpoint: str, folder: str) -> int:
    import h5py
    model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32)
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()
             if k != "lm_head.weight" and not k.endswith((".attn.bias", ".attn.masked_bias"))}
    with h5py.File(checkpoint, "r") as f:
        stored = {name: f["model"][name][()] for name in f["model"]}
    if set(stored) != set(state):
        print(f"NOT OK: tensor names differ: {sorted(set(stored) ^ set(state))[:5]}")
        return 1
    for name, values in state.items():
        if stored[name].dtype != np.float32 or stored[name].shape != values.shape or \
                stored[name].tobytes() != values.astype(np.float32).tobytes():
            print(f"NOT OK: {name}: stored {stored[name].dtype}{stored[name].shape}, source {values.shape}, "
                  f"max|diff| {np.abs(stored[name].astype(np.float64) - values).max() if stored[name].shape == values.shape else 'n/a'}")
            return 1
    print(f"OK: {len(state)} tensors bit-exact")
    return 0


def logits(folder: str, reference: str) -> int:
    base = pathlib.Path(reference)
    manifest = json.loads((base.parent / "reference.json").read_text())
    entry = manifest[base.name]
    values = np.fromfile(base.parent / "tokens.bin", dtype="<u2", offset=1024)
    inputs, targets = batch(values, manifest["batch"]["T"])
    model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager").eval()
    loss, got = loss_and_logits(model, inputs, targets)
    expected = np.fromfile(base.parent / entry["logits"], dtype="<f4").reshape(entry["shape"])
    diff = float(np.abs(got.numpy() - expected).max())
    if diff > 1e-5:
        print(f"NOT OK: logits max|diff| {diff:.3g} > 1e-5")
        return 1
    print(f"OK: logits max|diff| {diff:.3g}, loss {loss:.7f} (reference {entry['loss']:.7f})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    m = commands.add_parser("make")
    m.add_argument("--output", required=True, type=pathlib.Path)
    m.add_argument("--size", choices=["tiny", "124M"], default="tiny")
    c = commands.add_parser("compare")
    c.add_argument("--checkpoint", required=True)
    c.add_argument("--folder", required=True)
    g = commands.add_parser("logits")
    g.add_argument("--folder", required=True)
    g.add_argument("--reference", required=True)
    args = parser.parse_args()
    if args.command == "make":
        make(args.output, args.size)
        return 0
    if args.command == "compare":
        return compare(args.checkpoint, args.folder)
    return logits(args.folder, args.reference)


if __name__ == "__main__":
    sys.exit(main())
