/// Every configuration key Swiftlet understands, with its type, default and meaning
/// (docs/configuration.md). `docs/configuration.md` lists the same table; a test keeps them in sync.
public enum ConfigSchema {
  public enum Kind: String, Sendable { case int, double, bool, string }

  public struct Key: Sendable {
    public let name: String  // "section.key"
    public let kind: Kind
    public let defaultValue: ConfigValue
    public let help: String
  }

  public static let keys: [Key] = [
    // [model]
    Key(
      name: "model.preset", kind: .string, defaultValue: .string(""),
      help: "A published shape, e.g. gpt2-124M, gpt3-1.3B, opt-125m; explicit keys below override its fields."),
    Key(name: "model.n_layer", kind: .int, defaultValue: .int(0), help: "Transformer blocks (0 = from preset)."),
    Key(name: "model.n_head", kind: .int, defaultValue: .int(0), help: "Attention heads (0 = from preset)."),
    Key(name: "model.d_model", kind: .int, defaultValue: .int(0), help: "Residual width (0 = from preset)."),
    Key(
      name: "model.n_ctx", kind: .int, defaultValue: .int(0),
      help: "Context length of the position table (0 = from preset)."),
    Key(
      name: "model.vocab_size", kind: .int, defaultValue: .int(0),
      help: "Vocabulary size (0 = from preset; 50257 for GPT-2)."),
    Key(
      name: "model.word_embed_proj_dim", kind: .int, defaultValue: .int(0),
      help:
        "OPT only: token-embedding width, projected to and from d_model when different (0 = from preset: 512 for opt-350m, else d_model)."
    ),
    Key(
      name: "model.init_from", kind: .string, defaultValue: .string(""),
      help:
        "Start from released weights: a Hugging Face GPT2LMHeadModel/OPTForCausalLM folder (safetensors), an llm.c GPT-2 .bin file or a Swiftlet checkpoint. The model shape comes from it (shape keys may only repeat it); the optimizer is fresh and training starts at step 0. A checkpoint in the run directory (checkpoint.resume = auto) takes precedence."
    ),
    // [data]
    Key(
      name: "data.train", kind: .string, defaultValue: .string(""),
      help: "Training token shards: a path, a glob, or several separated by commas."),
    Key(
      name: "data.val", kind: .string, defaultValue: .string(""),
      help: "Validation token shards (empty = no evaluation)."),
    Key(
      name: "data.shuffle", kind: .bool, defaultValue: .bool(false),
      help: "Visit sequence windows in a seeded random order per epoch instead of in file order."),
    // [train]
    Key(
      name: "train.batch_size", kind: .int, defaultValue: .int(8),
      help: "GLOBAL sequences per optimizer step, split over data-parallel ranks and micro-steps."),
    Key(name: "train.seq_len", kind: .int, defaultValue: .int(0), help: "Tokens per sequence (0 = n_ctx)."),
    Key(
      name: "train.grad_accum", kind: .int, defaultValue: .int(1),
      help: "Micro-steps per optimizer step (divides the per-rank batch to save memory)."),
    Key(name: "train.max_steps", kind: .int, defaultValue: .int(100), help: "Optimizer steps of the whole run."),
    Key(name: "train.lr", kind: .double, defaultValue: .double(6e-4), help: "Peak learning rate."),
    Key(
      name: "train.min_lr", kind: .double, defaultValue: .double(6e-5),
      help: "Learning rate reached by the cosine decay at max_steps."),
    Key(name: "train.warmup_steps", kind: .int, defaultValue: .int(0), help: "Linear warm-up steps."),
    Key(
      name: "train.weight_decay", kind: .double, defaultValue: .double(0.1),
      help: "Decoupled weight decay on 2-D weights and embeddings."),
    Key(
      name: "train.grad_clip", kind: .double, defaultValue: .double(1.0),
      help: "Clip the global gradient L2 norm to this value (0 = off)."),
    Key(
      name: "train.optimizer", kind: .string, defaultValue: .string("adamw"),
      help: "adamw (PyTorch AdamW) or adafactor (Shazeer & Stern 2018, as Hugging Face's with relative_step off)."),
    Key(
      name: "train.adafactor_beta1", kind: .double, defaultValue: .double(0),
      help: "Adafactor first-moment decay (0 = no first moment, the memory-saving default)."),
    Key(name: "train.beta1", kind: .double, defaultValue: .double(0.9), help: "AdamW β₁."),
    Key(name: "train.beta2", kind: .double, defaultValue: .double(0.95), help: "AdamW β₂."),
    Key(name: "train.eps", kind: .double, defaultValue: .double(1e-8), help: "AdamW ε."),
    Key(name: "train.seed", kind: .int, defaultValue: .int(1337), help: "Seed of initialisation and data order."),
    Key(
      name: "train.eval_every", kind: .int, defaultValue: .int(0), help: "Evaluate every N steps (0 = only at the end)."
    ),
    Key(
      name: "train.eval_batches", kind: .int, defaultValue: .int(10),
      help: "Validation batches of batch_size sequences per evaluation."),
    Key(
      name: "train.on_nonfinite", kind: .string, defaultValue: .string("halt"),
      help: "When the loss or gradient norm is NaN/Inf: halt (stop with an error) or skip (drop the update)."),
    Key(
      name: "train.max_nonfinite", kind: .int, defaultValue: .int(10),
      help: "With on_nonfinite = skip: halt after this many consecutive skipped steps."),
    Key(
      name: "train.log_every", kind: .int, defaultValue: .int(10),
      help: "When stdout is not a terminal, print a progress line every N steps (and at least every 60 s)."),
    Key(
      name: "train.recompute", kind: .bool, defaultValue: .bool(false),
      help:
        "Activation recomputation: keep only each block's input and run the block's forward again in the backward (less memory, one more forward pass of the blocks, bit-identical results)."
    ),
    Key(
      name: "train.threads", kind: .int, defaultValue: .int(0),
      help: "OpenBLAS threads per rank (0 = cores / ranks on this node, at least 1)."),
    // [parallel]
    Key(
      name: "parallel.tp", kind: .int, defaultValue: .int(1),
      help: "Tensor-parallel size; data-parallel size is world / tp."),
    Key(
      name: "parallel.pp", kind: .int, defaultValue: .int(1),
      help:
        "Pipeline-parallel stages: the layers are split into this many consecutive stages (1F1B schedule); data-parallel size is world / (tp × pp)."
    ),
    Key(
      name: "parallel.microbatches", kind: .int, defaultValue: .int(0),
      help:
        "Micro-batches each data-parallel rank's share of the batch is split into (the pipeline's M; 0 = train.grad_accum). Same meaning as grad_accum: set one of the two."
    ),
    Key(
      name: "parallel.zero", kind: .int, defaultValue: .int(1),
      help:
        "ZeRO stage: 1 = shard the optimizer state over the data-parallel ranks when dp > 1 (bit-identical results, less memory, faster); 2 = also give back the memory of the gradients a rank does not own once they are reduced (bit-identical to 1); 0 = every data-parallel rank keeps the whole optimizer state."
    ),
    Key(
      name: "parallel.collective_timeout", kind: .double, defaultValue: .double(600),
      help: "Abort the whole job when one MPI collective waits longer than this many seconds (0 = never)."),
    // [checkpoint]
    Key(name: "checkpoint.every", kind: .int, defaultValue: .int(0), help: "Save every N steps (0 = only at the end)."),
    Key(name: "checkpoint.keep", kind: .int, defaultValue: .int(3), help: "How many newest checkpoints to keep."),
    Key(
      name: "checkpoint.on_error", kind: .string, defaultValue: .string("stop"),
      help:
        "When a save fails (disk full, read-only folder): stop the job with an error, or continue training without that checkpoint (a warning is printed)."
    ),
    Key(
      name: "checkpoint.resume", kind: .string, defaultValue: .string("auto"),
      help: "auto (newest valid checkpoint in the run directory), never, or a checkpoint path."),
    // [accounting]
    Key(
      name: "accounting.hardware", kind: .string, defaultValue: .string("auto"),
      help: "Hardware profile for peak FLOP/s and power (auto = this CPU, measured)."),
    Key(
      name: "accounting.pue", kind: .double, defaultValue: .double(1.0),
      help: "Data-centre power usage effectiveness multiplying the energy."),
    Key(
      name: "accounting.grid_intensity", kind: .double, defaultValue: .double(0),
      help: "Grid carbon intensity in gCO2e/kWh (0 = from region)."),
    Key(
      name: "accounting.region", kind: .string, defaultValue: .string(""),
      help:
        "Region whose average grid intensity applies (empty = world, unless grid_intensity is given; giving both is an error)."
    ),
    Key(
      name: "accounting.intensity_series", kind: .string, defaultValue: .string(""),
      help:
        "CSV of timestamp,gco2_per_kwh (ISO 8601 UTC, ascending, each value holding until the next): each step is charged at the intensity when it started (replaces grid_intensity and region; empty = off)."
    ),
    Key(
      name: "accounting.clock_start", kind: .string, defaultValue: .string(""),
      help:
        "ISO 8601 UTC instant of the intensity series that this launch's start is mapped to, to replay a period (empty = the real clock); each resumed launch starts the mapped clock here again."
    ),
    Key(
      name: "accounting.pause_above", kind: .double, defaultValue: .double(0),
      help:
        "With intensity_series: before a step that would start above this many gCO2e/kWh, checkpoint and exit with code 75, naming when the series next drops to it or below (0 = never pause)."
    ),
    Key(
      name: "accounting.price_per_device_hour", kind: .double, defaultValue: .double(0),
      help: "USD per device-hour for a cost estimate (0 = none)."),
    Key(
      name: "accounting.target_tokens", kind: .double, defaultValue: .double(0),
      help: "Tokens of the full run to project (0 = max_steps × tokens per step)."),
    // [debug] — fault injection for the reliability tests
    Key(
      name: "debug.inject_nan_step", kind: .int, defaultValue: .int(0),
      help: "Test hook: put a NaN into one rank's gradient at this step (0 = never)."),
    Key(
      name: "debug.inject_nan_rank", kind: .int, defaultValue: .int(0),
      help: "Test hook: the world rank that gets the NaN."),
    // [run]
    Key(
      name: "run.dir", kind: .string, defaultValue: .string("runs/default"),
      help: "Run directory for metrics, checkpoints and reports (--run-dir overrides)."),
  ]

  static let byName: [String: Key] = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })
}
