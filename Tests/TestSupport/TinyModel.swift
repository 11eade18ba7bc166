import Foundation

/// The tiny model the end-to-end tests train: two layers of width 32 over a 67-token vocabulary.
public enum TinyModel {
  /// Its `[model]` section, Tests/Reference/tiny_model.toml: the multi-node check
  /// (multinode_netns_test.sh) trains the same model.
  public static let modelSection: String = {
    let path = PackagePaths.reference("tiny_model.toml")
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fatalError("cannot read \(path)") }
    return text
  }()

  /// A tiny model configuration over the shards in `data`, with `extra` TOML after it.
  public static func config(data: String, runDirectory: String, extra: String = "") -> String {
    modelSection + """

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
