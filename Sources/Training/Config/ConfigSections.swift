import Accounting

// The schema of a run configuration: every key Swiftlet understands, with its default (the
// property's initial value) and its meaning. docs/configuration.md lists the same keys.

/// `[model]`: the shape, from a preset, explicit sizes or released weights.
public struct ModelSettings: ConfigSection {
  public var preset = ""
  public var nLayer = 0
  public var nHead = 0
  public var dModel = 0
  public var nCtx = 0
  public var vocabSize = 0
  public var wordEmbedProjDim = 0
  public var initFrom = ""
  public init() {}

  public static let name = "model"
  public static let fields: [ConfigField<Self>] = [
    .init(
      "preset", \.preset,
      "A published shape, e.g. gpt2-124M, gpt3-1.3B, opt-125m; explicit keys below override its fields."),
    .init("n_layer", \.nLayer, "Transformer blocks (0 = from preset)."),
    .init("n_head", \.nHead, "Attention heads (0 = from preset)."),
    .init("d_model", \.dModel, "Residual width (0 = from preset)."),
    .init("n_ctx", \.nCtx, "Context length of the position table (0 = from preset)."),
    .init("vocab_size", \.vocabSize, "Vocabulary size (0 = from preset; 50257 for GPT-2)."),
    .init(
      "word_embed_proj_dim", \.wordEmbedProjDim,
      "OPT only: token-embedding width, projected to and from d_model when different (0 = from preset: 512 for opt-350m, else d_model)."
    ),
    .init(
      "init_from", \.initFrom,
      "Start from released weights: a Hugging Face GPT2LMHeadModel/OPTForCausalLM folder (safetensors), an llm.c GPT-2 .bin file or a Swiftlet checkpoint. The model shape comes from it (shape keys may only repeat it); the optimizer is fresh and training starts at step 0. A checkpoint in the run directory (checkpoint.resume = auto) takes precedence."
    ),
  ]
}

/// `[data]`: the token shards.
public struct DataSettings: ConfigSection {
  public var train = ""
  public var val = ""
  public var shuffle = false
  public init() {}

  public static let name = "data"
  public static let fields: [ConfigField<Self>] = [
    .init("train", \.train, "Training token shards: a path, a glob, or several separated by commas."),
    .init("val", \.val, "Validation token shards (empty = no evaluation)."),
    .init("shuffle", \.shuffle, "Visit sequence windows in a seeded random order per epoch instead of in file order."),
  ]
}

/// `[train]`: batch, schedule, optimizer and the step loop's policies.
public struct TrainSettings: ConfigSection {
  public var batchSize = 8
  public var seqLen = 0
  public var gradAccum = 1
  public var maxSteps = 100
  public var lr = 6e-4
  public var minLR = 6e-5
  public var warmupSteps = 0
  public var weightDecay = 0.1
  public var gradClip = 1.0
  public var optimizer = MemoryEstimate.Optimizer.adamw
  public var adafactorBeta1 = 0.0
  public var beta1 = 0.9
  public var beta2 = 0.95
  public var eps = 1e-8
  public var seed = 1337
  public var evalEvery = 0
  public var evalBatches = 10
  public var onNonfinite = NonfinitePolicy.halt
  public var maxNonfinite = 10
  public var logEvery = 10
  public var recompute = false
  public var threads = 0
  public init() {}

  public static let name = "train"
  public static let fields: [ConfigField<Self>] = [
    .init(
      "batch_size", \.batchSize, "GLOBAL sequences per optimizer step, split over data-parallel ranks and micro-steps."),
    .init("seq_len", \.seqLen, "Tokens per sequence (0 = n_ctx)."),
    .init("grad_accum", \.gradAccum, "Micro-steps per optimizer step (divides the per-rank batch to save memory)."),
    .init("max_steps", \.maxSteps, "Optimizer steps of the whole run."),
    .init("lr", \.lr, "Peak learning rate."),
    .init("min_lr", \.minLR, "Learning rate reached by the cosine decay at max_steps."),
    .init("warmup_steps", \.warmupSteps, "Linear warm-up steps."),
    .init("weight_decay", \.weightDecay, "Decoupled weight decay on 2-D weights and embeddings."),
    .init("grad_clip", \.gradClip, "Clip the global gradient L2 norm to this value (0 = off)."),
    .init(
      "optimizer", \.optimizer,
      "adamw (PyTorch AdamW) or adafactor (Shazeer & Stern 2018, as Hugging Face's with relative_step off)."),
    .init(
      "adafactor_beta1", \.adafactorBeta1,
      "Adafactor first-moment decay (0 = no first moment, the memory-saving default)."),
    .init("beta1", \.beta1, "AdamW β₁."),
    .init("beta2", \.beta2, "AdamW β₂."),
    .init("eps", \.eps, "AdamW ε."),
    .init("seed", \.seed, "Seed of initialisation and data order."),
    .init("eval_every", \.evalEvery, "Evaluate every N steps (0 = only at the end)."),
    .init("eval_batches", \.evalBatches, "Validation batches of batch_size sequences per evaluation."),
    .init(
      "on_nonfinite", \.onNonfinite,
      "When the loss or gradient norm is NaN/Inf: halt (stop with an error) or skip (drop the update)."),
    .init("max_nonfinite", \.maxNonfinite, "With on_nonfinite = skip: halt after this many consecutive skipped steps."),
    .init(
      "log_every", \.logEvery,
      "When stdout is not a terminal, print a progress line every N steps (and at least every 60 s)."),
    .init(
      "recompute", \.recompute,
      "Activation recomputation: keep only each block's input and run the block's forward again in the backward (less memory, one more forward pass of the blocks, bit-identical results)."
    ),
    .init("threads", \.threads, "OpenBLAS threads per rank (0 = cores / ranks on this node, at least 1)."),
  ]
}

/// `[parallel]`: the layout over ranks and what is sharded.
public struct ParallelSettings: ConfigSection {
  public var tp = 1
  public var pp = 1
  public var microbatches = 0
  public var zero = ZeroStage.optimizerState
  public var collectiveTimeout = 600.0
  public init() {}

  public static let name = "parallel"
  public static let fields: [ConfigField<Self>] = [
    .init("tp", \.tp, "Tensor-parallel size; data-parallel size is world / tp."),
    .init(
      "pp", \.pp,
      "Pipeline-parallel stages: the layers are split into this many consecutive stages (1F1B schedule); data-parallel size is world / (tp × pp)."
    ),
    .init(
      "microbatches", \.microbatches,
      "Micro-batches each data-parallel rank's share of the batch is split into (the pipeline's M; 0 = train.grad_accum). Same meaning as grad_accum: set one of the two."
    ),
    .init(
      "zero", \.zero,
      "ZeRO stage: 1 = shard the optimizer state over the data-parallel ranks when dp > 1 (bit-identical results, less memory, faster); 2 = also give back the memory of the gradients a rank does not own once they are reduced (bit-identical to 1); 0 = every data-parallel rank keeps the whole optimizer state."
    ),
    .init(
      "collective_timeout", \.collectiveTimeout,
      "Abort the whole job when one MPI collective waits longer than this many seconds (0 = never)."),
  ]
}

/// `[checkpoint]`: when to save, how many to keep, where to resume from.
public struct CheckpointSettings: ConfigSection {
  public var every = 0
  public var keep = 3
  public var onError = CheckpointFailurePolicy.stop
  public var resume = "auto"
  public init() {}

  public static let name = "checkpoint"
  public static let fields: [ConfigField<Self>] = [
    .init("every", \.every, "Save every N steps (0 = only at the end)."),
    .init("keep", \.keep, "How many newest checkpoints to keep."),
    .init(
      "on_error", \.onError,
      "When a save fails (disk full, read-only folder): stop the job with an error, or continue training without that checkpoint (a warning is printed)."
    ),
    .init("resume", \.resume, "auto (newest valid checkpoint in the run directory), never, or a checkpoint path."),
  ]
}

/// `[accounting]`: hardware, power and carbon for the compute and energy report.
public struct AccountingSettings: ConfigSection {
  public var hardware = "auto"
  public var pue = 1.0
  public var gridIntensity = 0.0
  public var region = ""
  public var intensitySeries = ""
  public var clockStart = ""
  public var pauseAbove = 0.0
  public var pricePerDeviceHour = 0.0
  public var targetTokens = 0.0
  public init() {}

  public static let name = "accounting"
  public static let fields: [ConfigField<Self>] = [
    .init("hardware", \.hardware, "Hardware profile for peak FLOP/s and power (auto = this CPU, measured)."),
    .init("pue", \.pue, "Data-centre power usage effectiveness multiplying the energy."),
    .init("grid_intensity", \.gridIntensity, "Grid carbon intensity in gCO2e/kWh (0 = from region)."),
    .init(
      "region", \.region,
      "Region whose average grid intensity applies (empty = world, unless grid_intensity is given; giving both is an error)."
    ),
    .init(
      "intensity_series", \.intensitySeries,
      "CSV of timestamp,gco2_per_kwh (ISO 8601 UTC, ascending, each value holding until the next): each step is charged at the intensity when it started (replaces grid_intensity and region; empty = off)."
    ),
    .init(
      "clock_start", \.clockStart,
      "ISO 8601 UTC instant of the intensity series that this launch's start is mapped to, to replay a period (empty = the real clock); each resumed launch starts the mapped clock here again."
    ),
    .init(
      "pause_above", \.pauseAbove,
      "With intensity_series: before a step that would start above this many gCO2e/kWh, checkpoint and exit with code 75, naming when the series next drops to it or below (0 = never pause)."
    ),
    .init("price_per_device_hour", \.pricePerDeviceHour, "USD per device-hour for a cost estimate (0 = none)."),
    .init("target_tokens", \.targetTokens, "Tokens of the full run to project (0 = max_steps × tokens per step)."),
  ]
}

/// `[debug]`: fault injection for the reliability tests.
public struct DebugSettings: ConfigSection {
  public var injectNanStep = 0
  public var injectNanRank = 0
  public init() {}

  public static let name = "debug"
  public static let fields: [ConfigField<Self>] = [
    .init(
      "inject_nan_step", \.injectNanStep, "Test hook: put a NaN into one rank's gradient at this step (0 = never)."),
    .init("inject_nan_rank", \.injectNanRank, "Test hook: the world rank that gets the NaN."),
  ]
}

/// `[run]`: where the run's files go.
public struct RunSettings: ConfigSection {
  public var dir = "runs/default"
  public init() {}

  public static let name = "run"
  public static let fields: [ConfigField<Self>] = [
    .init("dir", \.dir, "Run directory for metrics, checkpoints and reports (--run-dir overrides).")
  ]
}
