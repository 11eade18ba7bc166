#!/usr/bin/env python3
"""Write the Adafactor reference fixture that Swiftlet's optimizer tests compare against.

Runs Hugging Face ``transformers.optimization.Adafactor`` with an explicit learning rate and
``scale_parameter=False, relative_step=False, warmup_init=False`` (Shazeer & Stern 2018, with
the step size fixed to ``lr``) on three seeded tensors for five steps, each step with its own
seeded gradient, once without a first moment (``beta1=None``) and once with ``beta1=0.9``.

The first three tensors stand for the three kinds of GPT-2 parameters:

* ``weight`` ``[8, 12]``: a Conv1D weight ``[in, out]`` (factored second moment, decays),
* ``embedding`` ``[67, 16]``: an embedding ``[V, C]`` whose last 7 rows never get a gradient,
  like tokens absent from a batch (factored, decays; exercises ``eps1``),
* ``bias`` ``[12]``: a 1-D tensor (full second moment, no weight decay);

and ``stacked`` ``[2, 5, 6]`` checks the rank-3 rule: the last two dimensions are factored per
leading index (``exp_avg_sq_row`` ``[2, 5]``, ``exp_avg_sq_col`` ``[2, 6]``), while the update
RMS is taken over the whole tensor.

Weight decay applies to the tensors of rank >= 2 only (as Swiftlet's AdamW does), so the
optimizer gets two parameter groups: ``weight_decay=0.1`` for those and ``0.0`` for the bias.

Regenerate (from the repository root):

    python3 Tests/Reference/make_adafactor_reference.py

It writes ``Tests/OptimizersTests/Fixtures/adafactor_reference.json``. Before writing, the
script replays both runs with ``manual_adafactor`` (plain torch operations, the exact math the
fixture encodes) and checks it reproduces Hugging Face bit for bit; the same replay records
which steps clipped which tensor's update. Floats are float32 values printed as the shortest
decimal that round-trips through a double. The output is deterministic.
"""

import json
import math
import pathlib
import sys

import torch
import transformers
from transformers.optimization import Adafactor

SEED = 2018  # the paper's year; seeds the generator for the initial values and every gradient
SHAPES = {"weight": [8, 12], "embedding": [67, 16], "bias": [12], "stacked": [2, 5, 6]}
DECAYS = {"weight": True, "embedding": True, "bias": False, "stacked": True}
SILENT_EMBEDDING_ROWS = 7  # the last rows of `embedding` always get a zero gradient
STEPS = 5
# Gradient scale per step: large and small, so some steps clip the update and others do not.
GRAD_SCALES = [1.0, 0.05, 3.0, 0.2, 1e-3]
LR, EPS1, EPS2, CLIP_THRESHOLD, DECAY_RATE, WEIGHT_DECAY = 1e-2, 1e-30, 1e-3, 1.0, -0.8, 0.1
BETA1_RUNS = [None, 0.9]

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE_PATH = ROOT / "Tests" / "OptimizersTests" / "Fixtures" / "adafactor_reference.json"


def make_data():
    """Initial values and the gradients of every step, all float32, from SEED."""
    generator = torch.Generator().manual_seed(SEED)
    initial = {
        name: torch.randn(shape, generator=generator, dtype=torch.float32) * 0.5
        for name, shape in SHAPES.items()
    }
    grads = []
    for scale in GRAD_SCALES:
        step = {}
        for name, shape in SHAPES.items():
            g = torch.randn(shape, generator=generator, dtype=torch.float32) * scale
            if name == "embedding":
                g[-SILENT_EMBEDDING_ROWS:] = 0
            step[name] = g
        grads.append(step)
    return initial, grads


def run_hugging_face(initial, grads, beta1):
    """Hugging Face Adafactor over all steps: the parameters after each step and the final state."""
    params = {name: torch.nn.Parameter(value.clone()) for name, value in initial.items()}
    groups = [
        {"params": [params[n] for n in SHAPES if DECAYS[n]], "weight_decay": WEIGHT_DECAY},
        {"params": [params[n] for n in SHAPES if not DECAYS[n]], "weight_decay": 0.0},
    ]
    optimizer = Adafactor(
        groups, lr=LR, eps=(EPS1, EPS2), clip_threshold=CLIP_THRESHOLD, decay_rate=DECAY_RATE,
        beta1=beta1, scale_parameter=False, relative_step=False, warmup_init=False)
    after = []
    for step_grads in grads:
        for name, p in params.items():
            p.grad = step_grads[name].clone()
        optimizer.step()
        after.append({name: p.detach().clone() for name, p in params.items()})
    state = {}
    for name, p in params.items():
        for kind, value in optimizer.state[p].items():
            if torch.is_tensor(value) and kind != "RMS":
                state.setdefault(kind, {})[name] = value.clone()
    return after, state


def manual_adafactor(initial, grads, beta1):
    """The same update in plain torch; returns parameters after each step and clipped flags.

    For step t (1-based) and a gradient g, with beta2t = 1 - t**decay_rate:
      factored ([..., R, C]): row = beta2t*row + (1-beta2t)*mean_cols(g^2 + eps1)   [..., R]
                              col = beta2t*col + (1-beta2t)*mean_rows(g^2 + eps1)   [..., C]
                              u_ij = rsqrt(row_i / mean(row)) * rsqrt(col_j) * g_ij
                              (mean(row) over R, separately for each leading index)
      full (1-D):             v   = beta2t*v + (1-beta2t)*(g^2 + eps1);  u = rsqrt(v) * g
      u = u / max(1, rms(u) / clip_threshold) * lr          (rms(x) = ||x||_2 / sqrt(numel))
      m = beta1*m + (1-beta1)*u;  u = m                     (only with beta1)
      p = p - weight_decay*lr*p - u                         (weight_decay 0 for the bias)
    """
    params = {name: value.clone() for name, value in initial.items()}
    state = {name: {} for name in SHAPES}
    after, clipped = [], []
    for t, step_grads in enumerate(grads, start=1):
        beta2t = 1.0 - math.pow(t, DECAY_RATE)
        step_clipped = []
        for name, p in params.items():
            g, s = step_grads[name], state[name]
            squared = g**2 + EPS1
            if p.dim() >= 2:
                row = s.setdefault("row", torch.zeros(p.shape[:-1]))
                col = s.setdefault("col", torch.zeros(p.shape[:-2] + p.shape[-1:]))
                row.mul_(beta2t).add_(squared.mean(dim=-1), alpha=1.0 - beta2t)
                col.mul_(beta2t).add_(squared.mean(dim=-2), alpha=1.0 - beta2t)
                r = (row / row.mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
                c = col.unsqueeze(-2).rsqrt()
                u = torch.mul(r, c).mul_(g)
            else:
                v = s.setdefault("v", torch.zeros_like(p))
                v.mul_(beta2t).add_(squared, alpha=1.0 - beta2t)
                u = v.rsqrt().mul_(g)
            rms = u.norm(2) / (u.numel() ** 0.5)
            if (rms / CLIP_THRESHOLD).item() > 1.0:
                step_clipped.append(name)
            u.div_((rms / CLIP_THRESHOLD).clamp_(min=1.0)).mul_(LR)
            if beta1 is not None:
                m = s.setdefault("m", torch.zeros_like(p))
                m.mul_(beta1).add_(u, alpha=1 - beta1)
                u = m
            if DECAYS[name]:
                p.add_(p, alpha=-WEIGHT_DECAY * LR)
            p.add_(-u)
        after.append({name: p.clone() for name, p in params.items()})
        clipped.append(step_clipped)
    return after, clipped


def floats(tensor):
    """Float32 values as Python floats (json prints the shortest round-tripping decimal)."""
    return [float(x) for x in tensor.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    initial, grads = make_data()
    runs = []
    for beta1 in BETA1_RUNS:
        after, state = run_hugging_face(initial, grads, beta1)
        manual_after, clipped = manual_adafactor(initial, grads, beta1)
        for t in range(STEPS):
            for name in SHAPES:
                if not torch.equal(after[t][name], manual_after[t][name]):
                    diff = (after[t][name] - manual_after[t][name]).abs().max().item()
                    sys.exit(f"manual replay differs from Hugging Face: beta1 {beta1}, "
                             f"step {t + 1}, {name}, max diff {diff}")
        flat = sorted({n for step in clipped for n in step})
        print(f"beta1 {beta1}: manual replay matches bit for bit; clipped {clipped}",
              file=sys.stderr)
        if not flat or all(len(step) == len(SHAPES) for step in clipped):
            sys.exit("the fixture should clip some updates and not others")
        runs.append({
            "beta1": beta1,
            "clipped": clipped,
            "params_after": [{name: floats(step[name]) for name in SHAPES} for step in after],
            "final_state": {
                kind: {name: {"shape": list(value.shape), "values": floats(value)}
                       for name, value in tensors.items()}
                for kind, tensors in sorted(state.items())
            },
        })
    fixture = {
        "generator": {
            "script": "Tests/Reference/make_adafactor_reference.py",
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "seed": SEED,
        },
        "hyperparameters": {
            "lr": LR, "eps1": EPS1, "eps2": EPS2, "clip_threshold": CLIP_THRESHOLD,
            "decay_rate": DECAY_RATE, "weight_decay": WEIGHT_DECAY, "steps": STEPS,
            "scale_parameter": False, "relative_step": False, "warmup_init": False,
            "grad_scales": GRAD_SCALES,
        },
        "tensors": [
            {"name": name, "shape": shape, "decays": DECAYS[name], "initial": floats(initial[name])}
            for name, shape in SHAPES.items()
        ],
        "grads": [{name: floats(step[name]) for name in SHAPES} for step in grads],
        "runs": runs,
    }
    FIXTURE_PATH.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE_PATH.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    size = FIXTURE_PATH.stat().st_size
    print(f"wrote {FIXTURE_PATH.relative_to(ROOT)} ({size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
