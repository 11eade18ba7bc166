/// The tiny model the end-to-end tests train: two layers of width 32 over a 67-token vocabulary.
public enum TinyModel {
  /// A tiny model configuration over the shards in `data`, with `extra` TOML after it.
  public static func config(data: String, runDirectory: String, extra: String = "") -> String {
    """
    [model]
    n_layer = 2
    n_head = 4
    d_model = 32
    n_ctx = 16
    vocab_size = 67

    [data]
    train = "\(data)/train_*.bin"
    val = "\(data)/val_*.bin"

    [train]
    batch_size = 8
    seq_len = 16
    max_steps = 10
    lr = 1e-3
    min_lr = 1e-4
    warmup_steps = 2
    eval_every = 5
    eval_batches = 2
    seed = 7
    threads = 1

    [run]
    dir = "\(runDirectory)"
    \(extra)
    """
  }
}
