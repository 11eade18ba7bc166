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
hand-written ``reference_support.opt_logits`` and checked against Hugging Face's. The recipe
(batch, AdamW steps, tensor table, manifest) is reference_support.py's, shared with
make_gpt2_reference.py.
"""

import functools
import pathlib
import sys

from transformers import OPTConfig, OPTForCausalLM

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import reference_support as support  # noqa: E402  (batch, training replay, fixture files)

# Seeds, vocabulary, batch and optimizer: reference_support (the same as the GPT-2 fixture's).
N_LAYER, N_HEAD, D_MODEL, FFN_DIM, N_CTX = 2, 4, 32, 128, 16
LAYER_NORM_EPS = 1e-5  # nn.LayerNorm's default, which OPT uses
INIT_STD = 0.02
POSITION_OFFSET = 2

VARIANTS = {
    "opt_tiny_reference": {"do_layer_norm_before": True, "word_embed_proj_dim": D_MODEL},
    "opt350m_tiny_reference": {"do_layer_norm_before": False, "word_embed_proj_dim": 16},
}


def build_model(do_layer_norm_before: bool, word_embed_proj_dim: int) -> OPTForCausalLM:
    """The tiny OPT variant, initialised by Hugging Face's default OPT init from MODEL_SEED."""
    config = OPTConfig(
        vocab_size=support.VOCAB_SIZE,
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
        bos_token_id=support.VOCAB_SIZE - 1,  # unused here
        eos_token_id=support.VOCAB_SIZE - 1,
    )
    model = support.seeded_model(OPTForCausalLM, config)
    assert model.lm_head.weight is model.model.decoder.embed_tokens.weight, "LM head must be tied"
    assert model.model.decoder.embed_tokens.padding_idx is None
    return model


def write_variant(stem: str, do_layer_norm_before: bool, word_embed_proj_dim: int) -> None:
    """Builds one variant, replays the recipe on it and writes <stem>.json and <stem>.f32."""
    model = build_model(do_layer_norm_before, word_embed_proj_dim)
    names = [n for n, _ in model.named_parameters()]  # the tied lm_head.weight appears once
    assert all(n.startswith("model.decoder.") for n in names), names
    assert ("model.decoder.final_layer_norm.weight" in names) == do_layer_norm_before
    assert ("model.decoder.project_in.weight" in names) == (word_embed_proj_dim != D_MODEL)

    manual_forward = functools.partial(
        support.opt_logits, n_layer=N_LAYER, n_head=N_HEAD, pre_layer_norm=do_layer_norm_before,
        eps=LAYER_NORM_EPS, position_offset=POSITION_OFFSET)
    record = support.record_training(model, manual_forward, stem)
    support.write_fixture(
        stem,
        description="Tiny OPT reference from Hugging Face OPTForCausalLM; see Tests/Reference/README.md",
        script="Tests/Reference/make_opt_reference.py",
        init=f"Hugging Face OPT default (init_std {INIT_STD})",
        config={
            "family": "opt",
            "n_layer": N_LAYER,
            "n_head": N_HEAD,
            "d_model": D_MODEL,
            "ffn_dim": FFN_DIM,
            "n_ctx": N_CTX,
            "vocab_size": support.VOCAB_SIZE,
            "layer_norm": "pre" if do_layer_norm_before else "post",
            "word_embed_proj_dim": word_embed_proj_dim,
            "layer_norm_epsilon": LAYER_NORM_EPS,
            "activation": "relu",
            "position_offset": POSITION_OFFSET,
            "tied_lm_head": True,
        },
        record=record,
    )


def main() -> int:
    support.deterministic()
    for stem, options in VARIANTS.items():
        write_variant(stem, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
