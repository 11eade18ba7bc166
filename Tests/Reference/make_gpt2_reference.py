#!/usr/bin/env python3
"""Write the tiny GPT-2 reference fixture that Swiftlet's GPT tests compare against.

The fixture pins down, tensor by tensor, what Hugging Face ``GPT2LMHeadModel`` computes for a
tiny model: the initial parameters, the logits and mean cross-entropy loss of one batch, every
parameter gradient, and the parameters after three AdamW steps with global-norm gradient
clipping (CONTRACTS.md section 3); also the logits with the trained weights and the raw
gradients of steps 2 and 3, so the optimizer can be checked on its own. The Swift tests load the same parameters, run their own
kernels and report the largest difference per tensor.

Regenerate (from the repository root):

    pip install 'torch==2.13.0+cpu' transformers
    python3 Tests/Reference/make_gpt2_reference.py

It writes two files into ``Tests/GPTTests/Fixtures/``:

* ``gpt2_tiny_reference.json`` -- the manifest (config, batch, optimizer settings, losses,
  gradient norms and a table of tensors with their float32 offsets), and
* ``gpt2_tiny_reference.f32`` -- the tensors as raw little-endian float32, concatenated.

Tests/Reference/README.md documents the format. The script is deterministic (fixed seeds,
deterministic algorithms, one thread): running it twice on the same torch/transformers
versions gives byte-identical files. Before writing anything it recomputes the loss with a
hand-written forward pass in plain torch operations and checks it against Hugging Face's, so
the math the fixture encodes is spelled out in ``manual_forward`` below.
"""

import json
import math
import pathlib
import struct
import sys

import torch
import torch.nn.functional as F
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

# --- what the fixture is made of ---------------------------------------------------------------
MODEL_SEED = 1234  # torch.manual_seed before building the model: decides the initial weights
DATA_SEED = 42  # seeds the generator that draws the token batch
N_LAYER, N_HEAD, D_MODEL, N_CTX = 2, 4, 32, 16
VOCAB_SIZE = 67  # deliberately odd: catches kernels that assume a padded vocabulary
LAYER_NORM_EPS = 1e-5
INITIALIZER_RANGE = 0.02  # the Hugging Face default; it already gives an initial grad norm > 1
B, T = 4, 8
LR, BETA1, BETA2, EPS, WEIGHT_DECAY = 1e-3, 0.9, 0.95, 1e-8, 0.1
GRAD_CLIP = 1.0
STEPS = 3

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "GPTTests" / "Fixtures"
MANIFEST_PATH = FIXTURES / "gpt2_tiny_reference.json"
BINARY_PATH = FIXTURES / "gpt2_tiny_reference.f32"


def build_model() -> GPT2LMHeadModel:
    """The tiny GPT-2, initialised by Hugging Face's default GPT-2 init from MODEL_SEED."""
    config = GPT2Config(
        n_layer=N_LAYER,
        n_head=N_HEAD,
        n_embd=D_MODEL,
        n_positions=N_CTX,
        vocab_size=VOCAB_SIZE,
        activation_function="gelu_new",  # tanh-approximated GELU
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        summary_first_dropout=0.0,
        layer_norm_epsilon=LAYER_NORM_EPS,
        initializer_range=INITIALIZER_RANGE,
        scale_attn_weights=True,
        scale_attn_by_inverse_layer_idx=False,
        reorder_and_upcast_attn=False,
        tie_word_embeddings=True,
        bos_token_id=VOCAB_SIZE - 1,  # only silences a warning; unused here
        eos_token_id=VOCAB_SIZE - 1,
    )
    config._attn_implementation = "eager"
    torch.manual_seed(MODEL_SEED)
    model = GPT2LMHeadModel(config).to(torch.float32)
    assert model.lm_head.weight is model.transformer.wte.weight, "LM head must be tied to wte"
    model.train()  # every dropout probability is 0, so train and eval compute the same
    return model


def make_batch():
    """Inputs and targets: a seeded B x (T+1) token array, targets are the next tokens."""
    generator = torch.Generator().manual_seed(DATA_SEED)
    tokens = torch.randint(0, VOCAB_SIZE, (B, T + 1), generator=generator, dtype=torch.int64)
    return tokens[:, :T].contiguous(), tokens[:, 1:].contiguous()


def mean_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over all B*T positions (no label shift: targets are already the next tokens)."""
    return F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), targets.reshape(-1))


def manual_forward(p: dict, inputs: torch.Tensor) -> torch.Tensor:
    """GPT-2 written out in plain torch operations; returns logits [B, T, V].

    Pre-LayerNorm blocks (x += attn(ln_1(x)); x += mlp(ln_2(x))), Conv1D weights stored as
    [in, out] so a linear layer is x @ W + b, tanh GELU, causal softmax attention scaled by
    1/sqrt(head_dim), final LayerNorm and an LM head tied to the token embedding.
    """
    batch, seq = inputs.shape
    head_dim = D_MODEL // N_HEAD

    def layer_norm(x, name):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased variance
        return (x - mean) / torch.sqrt(var + LAYER_NORM_EPS) * p[name + ".weight"] + p[name + ".bias"]

    def linear(x, name):
        return x @ p[name + ".weight"] + p[name + ".bias"]

    def gelu_tanh(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))

    x = p["transformer.wte.weight"][inputs] + p["transformer.wpe.weight"][:seq]
    causal = torch.ones(seq, seq, dtype=torch.bool).tril()
    for layer in range(N_LAYER):
        h = f"transformer.h.{layer}"
        qkv = linear(layer_norm(x, h + ".ln_1"), h + ".attn.c_attn")  # [B, T, 3C]
        q, k, v = qkv.split(D_MODEL, dim=-1)
        q, k, v = (t.view(batch, seq, N_HEAD, head_dim).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(head_dim)  # [B, H, T, T]
        scores = scores.masked_fill(~causal, float("-inf"))
        attended = scores.softmax(dim=-1) @ v  # [B, H, T, hd]
        attended = attended.transpose(1, 2).reshape(batch, seq, D_MODEL)
        x = x + linear(attended, h + ".attn.c_proj")
        hidden = gelu_tanh(linear(layer_norm(x, h + ".ln_2"), h + ".mlp.c_fc"))
        x = x + linear(hidden, h + ".mlp.c_proj")
    x = layer_norm(x, "transformer.ln_f")
    return x @ p["transformer.wte.weight"].T  # tied LM head, no bias


def decays(name: str, param: torch.Tensor) -> bool:
    """Weight decay on matrices and embeddings (dim >= 2), never on biases or LayerNorm."""
    return param.dim() >= 2


def to_f32_list(t: torch.Tensor) -> list:
    return t.detach().to(torch.float32).contiguous().reshape(-1).tolist()


class TensorTable:
    """Collects named tensors into one float32 buffer with a manifest entry per tensor."""

    def __init__(self):
        self.entries, self.values = [], []

    def add(self, name: str, tensor: torch.Tensor):
        values = to_f32_list(tensor)
        self.entries.append(
            {"name": name, "shape": list(tensor.shape), "offset": len(self.values), "count": len(values)}
        )
        self.values.extend(values)

    def max_abs(self, prefix: str) -> float:
        return max(
            max(abs(v) for v in self.values[e["offset"] : e["offset"] + e["count"]])
            for e in self.entries
            if e["name"].startswith(prefix)
        )

    def binary(self) -> bytes:
        return struct.pack("<%df" % len(self.values), *self.values)


def format_json(value, indent=0) -> str:
    """JSON with lists of scalars kept on one line, so the manifest stays readable."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {format_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [inner + format_json(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)  # floats print with repr: shortest text that round-trips exactly


def main() -> int:
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    model = build_model()
    inputs, targets = make_batch()
    named = [(n, p) for n, p in model.named_parameters()]  # tied lm_head.weight appears once
    names = [n for n, _ in named]
    assert all(n.startswith("transformer.") for n in names), names
    assert not any(n.endswith((".attn.bias", ".attn.masked_bias")) for n in names)
    params = [p for _, p in named]

    table = TensorTable()
    for name, param in named:
        table.add("params/" + name, param)

    # Forward and backward once, on the initial weights.
    logits = model(input_ids=inputs).logits
    loss = mean_cross_entropy(logits, targets)
    loss.backward()
    table.add("logits", logits)
    first_grads = [param.grad.detach().clone() for param in params]
    for name, grad in zip(names, first_grads):
        table.add("grads/" + name, grad)

    # Self-check: the hand-written forward must give the same loss as Hugging Face.
    with torch.no_grad():
        manual_logits = manual_forward(dict(named), inputs)
        manual_loss = mean_cross_entropy(manual_logits, targets)
    loss_diff = abs(manual_loss.item() - loss.item())
    logits_diff = (manual_logits - logits.detach()).abs().max().item()
    print(f"self-check: |manual - HF| loss {loss_diff:.3e}, logits max {logits_diff:.3e}")
    assert loss_diff <= 1e-6, f"manual forward loss differs from HF by {loss_diff}"

    # Three AdamW steps on the same batch, clipping the global gradient norm before each step.
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in named if decays(n, p)], "weight_decay": WEIGHT_DECAY},
            {"params": [p for n, p in named if not decays(n, p)], "weight_decay": 0.0},
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
        step_grads[step] = [param.grad.detach().clone() for param in params]  # before clipping
        norm = torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP)
        optimizer.step()
        step_losses.append(step_loss.item())
        grad_norms.append(norm.item())
        print(f"step {step}: loss {step_losses[-1]:.7f}, grad norm {grad_norms[-1]:.7f}")
    assert step_losses[0] == loss.item(), "step 1 must see the same loss as the single backward"
    assert all(torch.equal(a, b) for a, b in zip(step_grads[1], first_grads)), \
        "step 1 must see the same gradients as the single backward"
    for name, param in named:
        table.add("params_after/" + name, param)

    # Extra: the trained weights have non-zero biases and non-unit LayerNorm gains, so these
    # logits also exercise the bias and LayerNorm paths that the initial weights leave trivial.
    with torch.no_grad():
        logits_after = model(input_ids=inputs).logits
        loss_after = mean_cross_entropy(logits_after, targets).item()
        manual_after = mean_cross_entropy(manual_forward(dict(named), inputs), targets).item()
    assert abs(manual_after - loss_after) <= 1e-6, "manual forward differs on trained weights"
    table.add("logits_after", logits_after)
    # Extra: the raw (unclipped) gradients of steps 2 and 3, so the optimizer can be tested
    # alone: params + grads (step 1) + these -> params_after, without the model's rounding.
    for step in range(2, STEPS + 1):
        for name, grad in zip(names, step_grads[step]):
            table.add(f"grads_step{step}/" + name, grad)

    clipped_steps = [i + 1 for i, n in enumerate(grad_norms) if n > GRAD_CLIP]
    print(f"clipped steps: {clipped_steps}; max |grad| {table.max_abs('grads/'):.6g}")

    manifest = {
        "description": "Tiny GPT-2 reference from Hugging Face GPT2LMHeadModel; "
        "see Tests/Reference/README.md",
        "generator": {
            "script": "Tests/Reference/make_gpt2_reference.py",
            "torch_version": torch.__version__,
            "transformers_version": transformers.__version__,
            "model_seed": MODEL_SEED,
            "data_seed": DATA_SEED,
            "init": f"Hugging Face GPT-2 default (initializer_range {INITIALIZER_RANGE})",
        },
        "config": {
            "n_layer": N_LAYER,
            "n_head": N_HEAD,
            "d_model": D_MODEL,
            "n_ctx": N_CTX,
            "vocab_size": VOCAB_SIZE,
            "layer_norm_epsilon": LAYER_NORM_EPS,
            "activation": "gelu_new",
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
        "binary": BINARY_PATH.name,
        "total_count": len(table.values),
        "tensors": table.entries,
    }

    FIXTURES.mkdir(parents=True, exist_ok=True)
    BINARY_PATH.write_bytes(table.binary())
    MANIFEST_PATH.write_text(format_json(manifest) + "\n")
    print(f"wrote {MANIFEST_PATH.relative_to(ROOT)} and {BINARY_PATH.relative_to(ROOT)} "
          f"({len(table.values)} floats, {4 * len(table.values)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
