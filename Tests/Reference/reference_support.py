"""Pieces shared by the reference scripts in this folder.

The tiny GPT-2 and OPT fixtures (make_gpt2_reference.py, make_opt_reference.py) are built the
same way: one seeded batch, one forward and backward, three AdamW steps with global-norm
clipping, every tensor appended to one float32 file, and a JSON manifest describing it
(Tests/Reference/README.md). This module holds that common recipe, plus the plain-torch GPT-2
and OPT forwards that both the fixture scripts and check_export.py check transformers against.

The scripts put their own folder on sys.path before importing this module, so they work when
run from the repository root or from this folder.
"""

import dataclasses
import json
import math
import pathlib
import struct

import torch
import torch.nn.functional as F
import transformers

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "GPTTests" / "Fixtures"

# --- what every tiny model fixture shares ------------------------------------------------------
MODEL_SEED = 1234  # torch.manual_seed before building the model: decides the initial weights
DATA_SEED = 42  # seeds the generator that draws the token batch
VOCAB_SIZE = 67  # deliberately odd: catches kernels that assume a padded vocabulary
B, T = 4, 8


@dataclasses.dataclass(frozen=True)
class AdamWSettings:
    """AdamW with decoupled weight decay on parameters of dim >= 2 and global-norm clipping."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    steps: int = 3

    def manifest(self, clipped_steps: list) -> dict:
        """The manifest's `optimizer` entry."""
        return {
            "name": "adamw",
            "lr": self.lr,
            "beta1": self.beta1,
            "beta2": self.beta2,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "grad_clip": self.grad_clip,
            "steps": self.steps,
            "decay_rule": "dim >= 2",
            "clipped_steps": clipped_steps,
        }


def adamw(params: list, lr: float, betas: tuple, eps: float, weight_decay: float):
    """torch AdamW that decays matrices and embeddings (dim >= 2), never biases or LayerNorm."""
    return torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=lr,
        betas=betas,
        eps=eps,
    )


def gpt2_config(n_layer: int, n_head: int, n_embd: int, n_positions: int, vocab_size: int = VOCAB_SIZE,
                layer_norm_epsilon: float = 1e-5, initializer_range: float = 0.02) -> transformers.GPT2Config:
    """The GPT-2 Swiftlet implements, as a Hugging Face config.

    Tanh GELU ("gelu_new"), every dropout 0, attention scaled by 1/sqrt(head_dim) only, the LM
    head tied to the token embedding, Hugging Face's GPT-2 init (`initializer_range`). The
    bos/eos ids (the last id, as in the released GPT-2) are unused; they only silence a warning.
    """
    return transformers.GPT2Config(
        n_layer=n_layer,
        n_head=n_head,
        n_embd=n_embd,
        n_positions=n_positions,
        vocab_size=vocab_size,
        activation_function="gelu_new",  # tanh-approximated GELU
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        summary_first_dropout=0.0,
        layer_norm_epsilon=layer_norm_epsilon,
        initializer_range=initializer_range,
        scale_attn_weights=True,
        scale_attn_by_inverse_layer_idx=False,
        reorder_and_upcast_attn=False,
        tie_word_embeddings=True,
        bos_token_id=vocab_size - 1,
        eos_token_id=vocab_size - 1,
    )


def seeded_model(model_class, config, seed: int = MODEL_SEED):
    """`model_class(config)` in float32 with eager attention, its weights drawn from `seed`.

    Every dropout probability in the fixture configs is 0, so train mode computes what eval
    mode would.
    """
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    return model_class(config).to(torch.float32).train()


def deterministic() -> None:
    """Deterministic kernels on one thread, so reruns write byte-identical fixtures."""
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def make_batch():
    """Inputs and targets: a seeded B x (T+1) token array, targets are the next tokens."""
    generator = torch.Generator().manual_seed(DATA_SEED)
    tokens = torch.randint(0, VOCAB_SIZE, (B, T + 1), generator=generator, dtype=torch.int64)
    return tokens[:, :T].contiguous(), tokens[:, 1:].contiguous()


def mean_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over all positions (no label shift: targets are already the next tokens)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


# --- plain-torch forwards ----------------------------------------------------------------------
def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
    """LayerNorm over the last dimension with the biased variance, as nn.LayerNorm computes it."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """The tanh approximation of GELU (Hugging Face's "gelu_new")."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def causal_attention(q, k, v, n_head: int) -> torch.Tensor:
    """Causal softmax attention scaled by 1/sqrt(head_dim); q, k, v and the result are [B, T, C]."""
    batch, seq, width = q.shape
    head_dim = width // n_head
    q, k, v = (t.view(batch, seq, n_head, head_dim).transpose(1, 2) for t in (q, k, v))
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(head_dim)  # [B, H, T, T]
    scores = scores.masked_fill(~torch.ones(seq, seq, dtype=torch.bool).tril(), float("-inf"))
    attended = scores.softmax(dim=-1) @ v  # [B, H, T, hd]
    return attended.transpose(1, 2).reshape(batch, seq, width)


def gpt2_logits(p: dict, inputs: torch.Tensor, n_layer: int, n_head: int, eps: float = 1e-5) -> torch.Tensor:
    """GPT-2 from its Hugging Face state-dict tensors `p`; inputs [B, T] -> logits [B, T, V].

    Pre-LayerNorm blocks (x += attn(ln_1(x)); x += mlp(ln_2(x))), Conv1D weights stored as
    [in, out] so a linear layer is x @ W + b, tanh GELU, causal softmax attention, final
    LayerNorm and an LM head tied to the token embedding.
    """
    seq = inputs.shape[1]
    width = p["transformer.wpe.weight"].shape[1]

    def norm(x, name):
        return layer_norm(x, p[name + ".weight"], p[name + ".bias"], eps)

    def linear(x, name):
        return x @ p[name + ".weight"] + p[name + ".bias"]

    x = p["transformer.wte.weight"][inputs] + p["transformer.wpe.weight"][:seq]
    for layer in range(n_layer):
        h = f"transformer.h.{layer}"
        q, k, v = linear(norm(x, h + ".ln_1"), h + ".attn.c_attn").split(width, dim=-1)
        x = x + linear(causal_attention(q, k, v, n_head), h + ".attn.c_proj")
        x = x + linear(gelu_tanh(linear(norm(x, h + ".ln_2"), h + ".mlp.c_fc")), h + ".mlp.c_proj")
    x = norm(x, "transformer.ln_f")
    return x @ p["transformer.wte.weight"].T  # tied LM head, no bias


def opt_logits(p: dict, inputs: torch.Tensor, n_layer: int, n_head: int, pre_layer_norm: bool,
               eps: float = 1e-5, position_offset: int = 2) -> torch.Tensor:
    """OPT from its Hugging Face state-dict tensors `p`; inputs [B, T] -> logits [B, T, V].

    nn.Linear weights are [out, in] (a layer is x @ W.T + b); q, k, v are separate layers;
    position t reads row t + position_offset of the position table; ReLU MLP. Pre-LayerNorm:
    x += attn(LN1(x)); x += mlp(LN2(x)); final LayerNorm. Post-LayerNorm (opt-350m):
    x = LN1(x + attn(x)); x = LN2(x + mlp(x)); no final LayerNorm. With project_in/out the
    token table is narrower than the residual stream.
    """
    seq = inputs.shape[1]
    d = "model.decoder."

    def norm(x, name):
        return layer_norm(x, p[name + ".weight"], p[name + ".bias"], eps)

    def linear(x, name):
        y = x @ p[name + ".weight"].T
        return y + p[name + ".bias"] if name + ".bias" in p else y

    def attention(x, h):
        q, k, v = (linear(x, f"{h}.self_attn.{n}_proj") for n in "qkv")
        return linear(causal_attention(q, k, v, n_head), f"{h}.self_attn.out_proj")

    def mlp(x, h):
        return linear(torch.relu(linear(x, f"{h}.fc1")), f"{h}.fc2")

    x = p[d + "embed_tokens.weight"][inputs]
    if d + "project_in.weight" in p:
        x = linear(x, d + "project_in")
    x = x + p[d + "embed_positions.weight"][position_offset : position_offset + seq]
    for layer in range(n_layer):
        h = f"{d}layers.{layer}"
        if pre_layer_norm:
            x = x + attention(norm(x, h + ".self_attn_layer_norm"), h)
            x = x + mlp(norm(x, h + ".final_layer_norm"), h)
        else:
            x = norm(x + attention(x, h), h + ".self_attn_layer_norm")
            x = norm(x + mlp(x, h), h + ".final_layer_norm")
    if pre_layer_norm:
        x = norm(x, d + "final_layer_norm")
    if d + "project_out.weight" in p:
        x = linear(x, d + "project_out")
    return x @ p[d + "embed_tokens.weight"].T  # tied LM head, no bias


# --- the fixture files -------------------------------------------------------------------------
class TensorTable:
    """Collects named tensors into one float32 buffer with a manifest entry per tensor."""

    def __init__(self):
        self.entries, self.values = [], []

    def add(self, name: str, tensor: torch.Tensor):
        values = tensor.detach().to(torch.float32).contiguous().reshape(-1).tolist()
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


@dataclasses.dataclass
class TrainingRecord:
    """Everything one fixture stores about its model: the tensors and the scalar results."""

    inputs: torch.Tensor
    targets: torch.Tensor
    table: TensorTable
    loss: float
    step_losses: list
    grad_norms: list
    loss_after: float
    clipped_steps: list


def record_training(model, manual_logits, label: str, settings: AdamWSettings = AdamWSettings()) -> TrainingRecord:
    """Runs the fixture recipe on `model` and records it, tensor by tensor.

    Table order: params/, logits, grads/ (one backward on the initial weights), params_after/
    (after `settings.steps` clipped AdamW steps on the same batch), logits_after, then the raw
    unclipped gradients of steps 2.. as grads_step<k>/. `manual_logits(params, inputs)` is the
    script's plain-torch forward; its loss must match the model's to 1e-6, before and after
    training.
    """
    inputs, targets = make_batch()
    named = list(model.named_parameters())  # a tied LM head appears once, as the embedding
    names = [n for n, _ in named]
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
        manual = manual_logits(dict(named), inputs)
        manual_loss = mean_cross_entropy(manual, targets)
    loss_diff = abs(manual_loss.item() - loss.item())
    logits_diff = (manual - logits.detach()).abs().max().item()
    print(f"{label} self-check: |manual - HF| loss {loss_diff:.3e}, logits max {logits_diff:.3e}")
    assert loss_diff <= 1e-6, f"manual forward loss differs from HF by {loss_diff}"

    # AdamW steps on the same batch, clipping the global gradient norm before each step.
    optimizer = adamw(params, settings.lr, (settings.beta1, settings.beta2), settings.eps, settings.weight_decay)
    step_losses, grad_norms, step_grads = [], [], {}
    for step in range(1, settings.steps + 1):
        optimizer.zero_grad(set_to_none=True)
        step_loss = mean_cross_entropy(model(input_ids=inputs).logits, targets)
        step_loss.backward()
        step_grads[step] = [param.grad.detach().clone() for param in params]  # before clipping
        norm = torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
        optimizer.step()
        step_losses.append(step_loss.item())
        grad_norms.append(norm.item())
        print(f"  step {step}: loss {step_losses[-1]:.7f}, grad norm {grad_norms[-1]:.7f}")
    assert step_losses[0] == loss.item(), "step 1 must see the same loss as the single backward"
    assert all(torch.equal(a, b) for a, b in zip(step_grads[1], first_grads)), \
        "step 1 must see the same gradients as the single backward"
    for name, param in named:
        table.add("params_after/" + name, param)

    # The trained weights have non-zero biases and non-unit LayerNorm gains, so these logits
    # also exercise the bias and LayerNorm paths that the initial weights leave trivial.
    with torch.no_grad():
        logits_after = model(input_ids=inputs).logits
        loss_after = mean_cross_entropy(logits_after, targets).item()
        manual_after = mean_cross_entropy(manual_logits(dict(named), inputs), targets).item()
    assert abs(manual_after - loss_after) <= 1e-6, "manual forward differs on trained weights"
    table.add("logits_after", logits_after)
    # The raw gradients of the later steps let the optimizer be tested alone:
    # params + grads (step 1) + these -> params_after, without the model's rounding.
    for step in range(2, settings.steps + 1):
        for name, grad in zip(names, step_grads[step]):
            table.add(f"grads_step{step}/" + name, grad)

    clipped_steps = [i + 1 for i, n in enumerate(grad_norms) if n > settings.grad_clip]
    print(f"  clipped steps: {clipped_steps}; max |grad| {table.max_abs('grads/'):.6g}")
    return TrainingRecord(inputs, targets, table, loss.item(), step_losses, grad_norms, loss_after, clipped_steps)


def write_fixture(stem: str, description: str, script: str, init: str, config: dict,
                  record: TrainingRecord, settings: AdamWSettings = AdamWSettings()) -> None:
    """Writes FIXTURES/<stem>.json (the manifest) and FIXTURES/<stem>.f32 (the tensors)."""
    binary_path = FIXTURES / (stem + ".f32")
    manifest_path = FIXTURES / (stem + ".json")
    table = record.table
    manifest = {
        "description": description,
        "generator": {
            "script": script,
            "torch_version": torch.__version__,
            "transformers_version": transformers.__version__,
            "model_seed": MODEL_SEED,
            "data_seed": DATA_SEED,
            "init": init,
        },
        "config": config,
        "batch": {"B": B, "T": T, "inputs": record.inputs.tolist(), "targets": record.targets.tolist()},
        "optimizer": settings.manifest(record.clipped_steps),
        "loss": record.loss,
        "step_losses": record.step_losses,
        "grad_norms": record.grad_norms,
        "loss_after": record.loss_after,
        "dtype": "float32",
        "byte_order": "little",
        "binary": binary_path.name,
        "total_count": len(table.values),
        "tensors": table.entries,
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    binary_path.write_bytes(table.binary())
    manifest_path.write_text(format_json(manifest) + "\n")
    print(f"  wrote {manifest_path.relative_to(ROOT)} and {binary_path.relative_to(ROOT)} "
          f"({len(table.values)} floats, {4 * len(table.values)} bytes)")
