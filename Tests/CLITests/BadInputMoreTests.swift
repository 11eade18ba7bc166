import Foundation
import Testing

/// More of the bad-input catalogue (issue 8.3): files, checkpoints, commands and values.
extension BadInputTests {
  func garbageFile(_ name: String, bytes: Int = 4096) throws -> String {
    let path = data + "/" + name
    var generator = SystemRandomNumberGenerator()
    try Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(
      to: URL(fileURLWithPath: path))
    return path
  }

  @Test func checkpointsThatAreMissingCorruptOrForeign() throws {
    let garbage = try garbageFile("garbage.h5")
    let before = try Data(contentsOf: URL(fileURLWithPath: garbage))
    expectUserError(
      try Harness.run(["eval", "--checkpoint", data + "/none.h5", "--data", data + "/val_*.bin"]),
      mentioning: "no such checkpoint", "eval missing checkpoint")
    expectUserError(
      try Harness.run(["eval", "--checkpoint", garbage, "--data", data + "/val_*.bin"]), mentioning: "garbage.h5",
      "eval corrupt checkpoint")
    expectUserError(
      try Harness.run(["sample", "--checkpoint", garbage]), mentioning: "garbage.h5", "sample corrupt checkpoint")
    expectUserError(try Harness.run(["inspect", garbage]), mentioning: "garbage.h5", "inspect corrupt checkpoint")
    expectUserError(
      try Harness.run(["export", "--checkpoint", garbage, "--output", data + "/hf", "--format", "safetensors"]),
      mentioning: "garbage.h5", "export corrupt checkpoint")
    try expectTrainError(
      ["--set", "checkpoint.resume=\(data)/none.h5"], mentioning: "no such checkpoint", "resume from missing path")
    try expectTrainError(
      ["--set", "checkpoint.resume=\(garbage)"], mentioning: "garbage.h5", "resume from corrupt path")
    #expect(try Data(contentsOf: URL(fileURLWithPath: garbage)) == before, "the bad file is left as it was")
  }

  @Test func prepareInputsThatCannotBeUsed() throws {
    expectUserError(
      try Harness.run(["prepare", "--input", data + "/none.txt", "--output", data + "/out"]), mentioning: "none.txt",
      "prepare missing input")
    let empty = data + "/empty.txt"
    _ = FileManager.default.createFile(atPath: empty, contents: Data())
    expectUserError(
      try Harness.run(["prepare", "--input", empty, "--output", data + "/out"]), mentioning: "empty",
      "prepare empty input")
    let text = data + "/text.txt"
    try "To be, or not to be".write(toFile: text, atomically: true, encoding: .utf8)
    expectUserError(
      try Harness.run(["prepare", "--input", text, "--output", data + "/out", "--val-fraction", "1.5"]),
      mentioning: "fraction", "prepare bad fraction")
    expectUserError(
      try Harness.run(["prepare", "--input", text, "--output", data + "/out", "--tokenizer", data]),
      mentioning: "encoder.json", "prepare missing tokenizer files")
  }

  @Test func planValuesThatMakeNoSense() throws {
    expectUserError(
      try Harness.run(["plan", "--model", "gpt2-124M", "--tokens", "-5"]), mentioning: "tokens", "plan negative tokens")
    expectUserError(
      try Harness.run(["plan", "--model", "gpt2-124M", "--tokens", "1e9", "--hardware", "abacus"]),
      mentioning: "abacus", "plan unknown hardware")
    expectUserError(
      try Harness.run(["plan", "--model", "gpt2-124M", "--tokens", "1e9", "--region", "atlantis"]),
      mentioning: "atlantis", "plan unknown region")
    expectUserError(try Harness.run(["plan", "--tokens", "1e9"]), mentioning: "model", "plan without a model size")
  }

  @Test func trainingValuesThatMakeNoSense() throws {
    try expectTrainError(["--set", "train.lr=-1"], mentioning: "train.lr", "negative lr")
    try expectTrainError(["--tp", "0"], mentioning: "parallel.tp", "tp 0")
    try expectTrainError(["--set", "train.optimizer=sgd"], mentioning: "optimizer", "unknown optimizer")
    try expectTrainError(
      ["--run-dir", "/proc/swiftlet-run"], mentioning: "/proc/swiftlet-run", "unwritable run directory")
  }
}
