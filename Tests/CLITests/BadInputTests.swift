import Foundation
import TestSupport
import Testing

/// Every user error is one `error: …` line on stderr and a non-zero exit — never a crash trace —
/// and leaves existing files alone (contract section 1, issue 2/8 bad-input lists).
@Suite(.serialized)
struct BadInputTests {
  let data: String
  let run: String

  init() throws {
    data = try Harness.temporaryDirectory("bad-data")
    run = try Harness.temporaryDirectory("bad-run")
    try Harness.makeShards(in: data)
  }

  func config(_ extra: String = "", replacing: (String, String)? = nil) throws -> String {
    var text = TinyModel.config(data: data, runDirectory: run, extra: extra)
    if let (old, new) = replacing { text = text.replacingOccurrences(of: old, with: new) }
    let path = data + "/config-\(UUID().uuidString.prefix(6)).toml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Asserts a clean one-line user error whose text contains `fragment`.
  func expectUserError(_ result: Harness.Result, mentioning fragment: String, _ label: String) {
    #expect(result.status != 0, "\(label): exit status should be non-zero")
    let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
    let errors = lines.filter { $0.hasPrefix("error: ") }
    #expect(!errors.isEmpty, "\(label): no 'error:' line in stderr: \(result.stderr)")
    #expect(errors.allSatisfy { !$0.contains("Fatal error") }, "\(label): crash: \(result.stderr)")
    #expect(
      !result.stderr.contains("Stack dump") && !result.stderr.contains("Current stack trace"), "\(label): crash trace")
    #expect(
      errors.first?.lowercased().contains(fragment.lowercased()) == true,
      "\(label): message \(errors) should mention '\(fragment)'")
  }

  /// Runs `swiftlet train` on a fresh tiny config with `arguments` (and `ranks`, see
  /// `Harness.run`) and asserts the clean user error of `expectUserError`.
  func expectTrainError(
    _ arguments: [String], ranks: Int? = nil, mentioning fragment: String, _ label: String
  ) throws {
    expectUserError(
      try Harness.run(["train", "--config", try config()] + arguments, ranks: ranks), mentioning: fragment, label)
  }

  @Test func missingConfigFile() throws {
    expectUserError(
      try Harness.run(["train", "--config", data + "/nope.toml"]), mentioning: "cannot read config", "missing config")
  }

  @Test func malformedToml() throws {
    let path = data + "/broken.toml"
    try "[model\nn_layer = ".write(toFile: path, atomically: true, encoding: .utf8)
    expectUserError(try Harness.run(["train", "--config", path]), mentioning: "invalid TOML", "malformed TOML")
  }

  @Test func tableHeadersThatCrashedTheTomlParser() throws {
    // Regression inputs from the config fuzz test: toml++ aborted on these instead of erring.
    for header in ["[.data]", "[data", "[da ta]", "[[data]]"] {
      let path = data + "/header-\(UUID().uuidString.prefix(6)).toml"
      try TinyModel.config(data: data, runDirectory: run).replacingOccurrences(of: "[data]", with: header)
        .write(toFile: path, atomically: true, encoding: .utf8)
      expectUserError(try Harness.run(["train", "--config", path]), mentioning: "invalid TOML", "header \(header)")
    }
  }

  @Test func unknownKeyInFile() throws {
    expectUserError(
      try Harness.run(["train", "--config", try config("[extra]\nfoo = 1")]), mentioning: "unknown config key",
      "unknown key in file")
  }

  /// `--set` overrides `swiftlet train` refuses: the override, what its error names, what it breaks.
  static let badOverrides: [(setting: String, fragment: String, label: String)] = [
    ("train.learning_rate=1", "unknown config key", "unknown --set key"),
    ("train.lr", "section.key=value", "--set without ="),
    ("train.max_steps=many", "integer", "non-integer steps"),
    ("model.n_head=5", "divisible", "d_model % n_head"),
    ("model.n_layer=-1", "positive", "negative layers"),
    ("model.preset=gpt9", "unknown model preset", "bad preset"),
    ("train.seq_len=17", "n_ctx", "seq_len > n_ctx"),
    // The shards hold ids up to 66; a vocabulary of 50 makes some of them invalid.
    ("model.vocab_size=50", "vocabulary", "token ≥ vocab"),
  ]

  @Test(arguments: badOverrides)
  func badOverride(_ setting: String, mentioning fragment: String, label: String) throws {
    try expectTrainError(["--set", setting], mentioning: fragment, label)
  }

  @Test func missingAndMalformedShards() throws {
    try expectTrainError(["--set", "data.train=\(data)/none_*.bin"], mentioning: "no token shards", "missing shards")
    let bad = data + "/bad.bin"
    try Data(repeating: 7, count: 2000).write(to: URL(fileURLWithPath: bad))
    try expectTrainError(["--set", "data.train=\(bad)"], mentioning: "not a token shard", "bad magic")
    let truncated = data + "/truncated.bin"
    let good = try Data(contentsOf: URL(fileURLWithPath: data + "/train_000000.bin"))
    try good.prefix(1500).write(to: URL(fileURLWithPath: truncated))
    try expectTrainError(["--set", "data.train=\(truncated)"], mentioning: "truncated", "truncated shard")
  }

  @Test func impossibleParallelLayouts() throws {
    try expectTrainError(["--tp", "2"], ranks: 3, mentioning: "not divisible by tensor-parallel size", "world % tp")
    try expectTrainError(["--tp", "3"], ranks: 3, mentioning: "n_head", "n_head % tp")
    try expectTrainError(["--set", "train.batch_size=3"], ranks: 2, mentioning: "batch_size", "batch % dp")
  }

  @Test func badCommandLineValues() throws {
    expectUserError(try Harness.run(["bench", "--batch", "0"]), mentioning: "positive", "bench --batch 0")
    expectUserError(try Harness.run(["frobnicate"]), mentioning: "unexpected argument", "unknown command")
    expectUserError(try Harness.run(["train"]), mentioning: "no configuration", "train without config")
  }

  @Test func everyCommandHasHelp() throws {
    for command in ["train", "prepare", "eval", "sample", "plan", "inspect", "import", "export", "report", "bench"] {
      let result = try Harness.run([command, "--help"])
      #expect(result.status == 0, "\(command) --help")
      #expect(result.stdout.contains("USAGE: swiftlet \(command)"), "\(command) --help text")
    }
  }
}
