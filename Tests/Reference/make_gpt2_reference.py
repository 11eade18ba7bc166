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
the math the fixture encodes is spelled out in ``reference_support.gpt2_logits``. The recipe
(batch, AdamW steps, tensor table, manifest) is shared with make_opt_reference.py and lives in
reference_support.py.
"""

import pathlib
import sys

import torch
from transformers import GPT2LMHeadModel

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import reference_support as support  # noqa: E402  (batch, training replay, fixture files)

# --- what the fixture is made of (seeds, batch and optimizer: reference_support) ----------------
N_LAYER, N_HEAD, D_MODEL, N_CTX = 2, 4, 32, 16
LAYER_NORM_EPS = 1e-5
INITIALIZER_RANGE = 0.02  # the Hugging Face default; it already gives an initial grad norm > 1
STEM = "gpt2_tiny_reference"


def build_model() -> GPT2LMHeadModel:
    """The tiny GPT-2, initialised by Hugging Face's default GPT-2 init from MODEL_SEED."""
    config = support.gpt2_config(
        N_LAYER, N_HEAD, D_MODEL, N_CTX, layer_norm_epsilon=LAYER_NORM_EPS, initializer_range=INITIALIZER_RANGE)
    model = support.seeded_model(GPT2LMHeadModel, config)
    assert model.lm_head.weight is model.transformer.wte.weight, "LM head must be tied to wte"
    return model


def manual_forward(p: dict, inputs: torch.Tensor) -> torch.Tensor:
    """The plain-torch GPT-2 of reference_support with this fixture's shape."""
    return support.gpt2_logits(p, inputs, N_LAYER, N_HEAD, LAYER_NORM_EPS)


def main() -> int:
    support.deterministic()
    model = build_model()
    names = [n for n, _ in model.named_parameters()]  # tied lm_head.weight appears once
    assert all(n.startswith("transformer.") for n in names), names
    assert not any(n.endswith((".attn.bias", ".attn.masked_bias")) for n in names)

    record = support.record_training(model, manual_forward, STEM)
    support.write_fixture(
        STEM,
        description="Tiny GPT-2 reference from Hugging Face GPT2LMHeadModel; see Tests/Reference/README.md",
        script="Tests/Reference/make_gpt2_reference.py",
        init=f"Hugging Face GPT-2 default (initializer_range {INITIALIZER_RANGE})",
        config={
            "n_layer": N_LAYER,
            "n_head": N_HEAD,
            "d_model": D_MODEL,
            "n_ctx": N_CTX,
            "vocab_size": support.VOCAB_SIZE,
            "layer_norm_epsilon": LAYER_NORM_EPS,
            "activation": "gelu_new",
            "tied_lm_head": True,
        },
        record=record,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
