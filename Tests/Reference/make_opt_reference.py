#!/usr/bin/env python3
"""Write the tiny OPT reference fixtures that Swiftlet's GPT tests compare against.

Like ``make_gpt2_reference.py`` (same batch shape, optimizer, tensor table and manifest format),
but for Hugging Face ``OPTForCausalLM``, in two variants:

* ``opt_tiny_reference`` -- the standard OPT block (opt-125m, opt-1.3b ... opt-175b):
  pre-LayerNorm, final ``model.decoder.final_layer_norm``, no embedding projection;
* ``opt350m_tiny_reference`` -- the opt-350m block: ``do_layer_norm_before=False``
  (post-LayerNorm, no final LayerNorm) and ``word_embed_proj_dim`` 16 < hidden 32, so the token
  table is 16 wide with bias-free ``project_in`` [32, 16] and ``project_out`` [16, 32].

Both: 2 layers, 4 heads, hidden 32, ffn 128, max_position_embeddings 16 (an 18-row position
table: OPT reads row position + 2), vocabulary 67, ReLU, biases on every projection, all
dropouts 0, eager attention, LM head tied to ``embed_tokens``. ``pad_token_id`` is None: with a
padding index ``nn.Embedding`` would drop the lookup gradient of that row, and Swiftlet trains
on GPT-2 token ids where every id is a real token (id 1 is ``"``).

Regenerate (from the repository root):

    python3 Tests/Reference/make_opt_reference.py

It writes ``Tests/GPTTests/Fixtures/<variant>.json`` and ``.f32`` (format:
Tests/Reference/README.md). Deterministic; before writing, the loss is recomputed with the
hand-written ``manual_forward`` below and checked against Hugging Face's.
"""

import math
import pathlib
import sys

import torch
import torch.nn.functional as F
import transformers
from transformers import OPTConfig, OPTForCausalLM

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_gpt2_reference import TensorTable, format_json  # noqa: E402  (shared table and JSON)

MODEL_SEED = 1234
DATA_SEED = 42
N_LAYER, N_HEAD, D_MODEL, FFN_DIM, N_CTX = 2, 4, 32, 128, 16
VOCAB_SIZE = 67
LAYER_NORM_EPS = 1e-5  # nn.LayerNorm's default, which OPT uses
INIT_STD = 0.02
B, T = 4, 8
LR, BETA1, BETA2, EPS, WEIGHT_DECAY = 1e-3, 0.9, 0.95, 1e-8, 0.1
GRAD_CLIP = 1.0
STEPS = 3
POSITION_OFFSET = 2

VARIANTS = {
    "opt_tiny_reference": {"do_layer_norm_before": True, "word_embed_proj_dim": D_MODEL},
    "opt350m_tiny_reference": {"do_layer_norm_before": False, "word_embed_proj_dim": 16},
}

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "GPTTests" / "Fixtures"


def build_model(do_layer_norm_before: bool, word_embed_proj_dim: int) -> OPTForCausalLM:
    config = OPTConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=D_MODEL,
        num_hidden_layers=N_LAYER,
        ffn_dim=FFN_DIM,
        num_attention_heads=N_HEAD,
        max_position_embeddings=N_CTX,
        do_layer_norm_before=do_layer_norm_before,
        word_embed_proj_dim=word_embed_proj_dim,
        activation_function="relu",
        dropout=0.0,
        attention_dropout=0.0,
        layerdrop=0.0,
        init_std=INIT_STD,
        enable_bias=True,
        layer_norm_elementwise_affine=True,
        tie_word_embeddings=True,
        pad_token_id=None,
        bos_token_id=VOCAB_SIZE - 1,  # unused here
        eos_token_id=VOCAB_SIZE - 1,
    )
    config._attn_implementation = "eager"
    torch.manual_seed(MODEL_SEED)
    model = OPTForCausalLM(config).to(torch.float32)
    assert model.lm_head.weight is model.model.decoder.embed_tokens.weight, "LM head must be tied"
    assert model.model.decoder.embed_tokens.padding_idx is None
    model.train()  # every dropout probability is 0
    return model


def make_batch():
    generator = torch.Generator().manual_seed(DATA_SEED)
    tokens = torch.randint(0, VOCAB_SIZE, (B, T + 1), generator=generator, dtype=torch.int64)
    return tokens[:, :T].contiguous(), tokens[:, 1:].contiguous()


def mean_cross_entropy(logits, targets):
    """Mean over all B*T positions (no label shift: targets are already the next tokens)."""
    return F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), targets.reshape(-1))


def manual_forward(p: dict, inputs: torch.Tensor, pre_layer_norm: bool) -> torch.Tensor:
    """OPT in plain torch operations; returns logits [B, T, V].

    nn.Linear weights are [out, in] (a layer is x @ W.T + b); q, k, v are separate layers;
    position t reads row t + 2 of the position table; ReLU MLP. Pre-LayerNorm:
    x += attn(LN1(x)); x += mlp(LN2(x)); final LayerNorm. Post-LayerNorm (opt-350m):
    x = LN1(x + attn(x)); x = LN2(x + mlp(x)); no final LayerNorm. With project_in/out the
    token table is narrower than the residual stream.
    """
    batch, seq = inputs.shape
    head_dim = D_MODEL // N_HEAD
    d = "model.decoder."

    def layer_norm(x, name):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + LAYER_NORM_EPS) * p[name + ".weight"] + p[name + ".bias"]

    def linear(x, name):
        y = x @ p[name + ".weight"].T
        return y + p[name + ".bias"] if name + ".bias" in p else y

    def attention(x, h):
        q, k, v = (linear(x, f"{h}.self_attn.{n}_proj") for n in "qkv")
        q, k, v = (t.view(batch, seq, N_HEAD, head_dim).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(head_dim)
        scores = scores.masked_fill(~torch.ones(seq, seq, dtype=torch.bool).tril(), float("-inf"))
        attended = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, seq, D_MODEL)
        return linear(attended, f"{h}.self_attn.out_proj")

    def mlp(x, h):
        return linear(torch.relu(linear(x, f"{h}.fc1")), f"{h}.fc2")

    x = p[d + "embed_tokens.weight"][inputs]
    if d + "project_in.weight" in p:
        x = linear(x, d + "project_in")
    x = x + p[d + "embed_positions.weight"][POSITION_OFFSET : POSITION_OFFSET + seq]
    for layer in range(N_LAYER):
        h = f"{d}layers.{layer}"
        if pre_layer_norm:
            x = x + attention(layer_norm(x, h + ".self_attn_layer_norm"), h)
            x = x + mlp(layer_norm(x, h + ".final_layer_norm"), h)
        else:
            x = layer_norm(x + attention(x, h), h + ".self_attn_layer_norm")
            x = layer_norm(x + mlp(x, h), h + ".final_layer_norm")
    if pre_layer_norm:
        x = layer_norm(x, d + "final_layer_norm")
    if d + "project_out.weight" in p:
        x = linear(x, d + "project_out")
    return x @ p[d + "embed_tokens.weight"].T


def write_variant(stem: str, do_layer_norm_before: bool, word_embed_proj_dim: int) -> None:
    model = build_model(do_layer_norm_before, word_embed_proj_dim)
    inputs, targets = make_batch()
    named = list(model.named_parameters())  # the tied lm_head.weight appears once, as embed_tokens
    names = [n for n, _ in named]
    assert all(n.startswith("model.decoder.") for n in names), names
    assert ("model.decoder.final_layer_norm.weight" in names) == do_layer_norm_before
    assert ("model.decoder.project_in.weight" in names) == (word_embed_proj_dim != D_MODEL)
    params = [p for _, p in named]

    table = TensorTable()
    for name, param in named:
        table.add("params/" + name, param)

    logits = model(input_ids=inputs).logits
    loss = mean_cross_entropy(logits, targets)
    loss.backward()
    table.add("logits", logits)
    first_grads = [param.grad.detach().clone() for param in params]
    for name, grad in zip(names, first_grads):
        table.add("grads/" + name, grad)

    with torch.no_grad():
        manual_logits = manual_forward(dict(named), inputs, do_layer_norm_before)
        manual_loss = mean_cross_entropy(manual_logits, targets)
    loss_diff = abs(manual_loss.item() - loss.item())
    logits_diff = (manual_logits - logits.detach()).abs().max().item()
    print(f"{stem} self-check: |manual - HF| loss {loss_diff:.3e}, logits max {logits_diff:.3e}")
    assert loss_diff <= 1e-6, f"manual forward loss differs from HF by {loss_diff}"

    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": WEIGHT_DECAY},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=LR,
        betas=(BETA1, BETA2),
        eps=EPS,
    )
    step_losses, grad_norms, step_grads = [], [], {}
    for step in range(1, STEPS + 1):
        optimizer.zero_grad(set_to_none=True)
        step_loss = mean_cross_entropy(model(input_ids=inputs).logits, targets)
        step_loss.backward()
        step_grads[step] = [param.grad.detach().clone() for param in params]
        norm = torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP)
        optimizer.step()
        step_losses.append(step_loss.item())
        grad_norms.append(norm.item())
        print(f"  step {step}: loss {step_losses[-1]:.7f}, grad norm {grad_norms[-1]:.7f}")
    assert step_losses[0] == loss.item()
    assert all(torch.equal(a, b) for a, b in zip(step_grads[1], first_grads))
    for name, param in named:
        table.add("params_after/" + name, param)

    with torch.no_grad():
        logits_after = model(input_ids=inputs).logits
        loss_after = mean_cross_entropy(logits_after, targets).item()
        manual_after = mean_cross_entropy(manual_forward(dict(named), inputs, do_layer_norm_before), targets).item()
    assert abs(manual_after - loss_after) <= 1e-6, "manual forward differs on trained weights"
    table.add("logits_after", logits_after)
    for step in range(2, STEPS + 1):
        for name, grad in zip(names, step_grads[step]):
            table.add(f"grads_step{step}/" + name, grad)

    clipped_steps = [i + 1 for i, n in enumerate(grad_norms) if n > GRAD_CLIP]
    print(f"  clipped steps: {clipped_steps}; max |grad| {table.max_abs('grads/'):.6g}")

    binary_path = FIXTURES / (stem + ".f32")
    manifest = {
        "description": "Tiny OPT reference from Hugging Face OPTForCausalLM; see Tests/Reference/README.md",
        "generator": {
            "script": "Tests/Reference/make_opt_reference.py",
            "torch_version": torch.__version__,
            "transformers_version": transformers.__version__,
            "model_seed": MODEL_SEED,
            "data_seed": DATA_SEED,
            "init": f"Hugging Face OPT default (init_std {INIT_STD})",
        },
        "config": {
            "family": "opt",
            "n_layer": N_LAYER,
            "n_head": N_HEAD,
            "d_model": D_MODEL,
            "ffn_dim": FFN_DIM,
            "n_ctx": N_CTX,
            "vocab_size": VOCAB_SIZE,
            "layer_norm": "pre" if do_layer_norm_before else "post",
            "word_embed_proj_dim": word_embed_proj_dim,
            "layer_norm_epsilon": LAYER_NORM_EPS,
            "activation": "relu",
            "position_offset": POSITION_OFFSET,
            "tied_lm_head": True,
        },
        "batch": {"B": B, "T": T, "inputs": inputs.tolist(), "targets": targets.tolist()},
        "optimizer": {
            "name": "adamw",
            "lr": LR,
            "beta1": BETA1,
            "beta2": BETA2,
            "eps": EPS,
            "weight_decay": WEIGHT_DECAY,
            "grad_clip": GRAD_CLIP,
            "steps": STEPS,
            "decay_rule": "dim >= 2",
            "clipped_steps": clipped_steps,
        },
        "loss": loss.item(),
        "step_losses": step_losses,
        "grad_norms": grad_norms,
        "loss_after": loss_after,
        "dtype": "float32",
        "byte_order": "little",
        "binary": binary_path.name,
        "total_count": len(table.values),
        "tensors": table.entries,
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    binary_path.write_bytes(table.binary())
    manifest_path = FIXTURES / (stem + ".json")
    manifest_path.write_text(format_json(manifest) + "\n")
    print(f"  wrote {manifest_path.relative_to(ROOT)} and {binary_path.relative_to(ROOT)} "
          f"({len(table.values)} floats)")


def main() -> int:
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for stem, options in VARIANTS.items():
        write_variant(stem, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
