import Accounting
import Foundation
import TestSupport
import Testing

/// Runs the built `swiftlet plan` executable (contract sections 1 and 7).
struct PlanCommandTests {
  /// `.build/<configuration>/swiftlet` next to the test bundle, else from the package root.
  static func executable() throws -> URL {
    var directory = Bundle.main.bundleURL
    for _ in 0..<6 {
      let candidate = directory.appendingPathComponent("swiftlet")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory.deleteLastPathComponent()
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let fallback = root.appendingPathComponent(".build/debug/swiftlet")
    try #require(
      FileManager.default.isExecutableFile(atPath: fallback.path), "build swiftlet first (swift build)")
    return fallback
  }

  static func run(_ arguments: [String]) throws -> ChildProcess.Streams {
    let process = Process()
    process.executableURL = try executable()
    process.arguments = ["plan"] + arguments
    var environment = ProcessInfo.processInfo.environment
    // Keep the sgemm cache of `--hardware cpu` runs out of the user's cache.
    environment["XDG_CACHE_HOME"] =
      FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-test-cache").path
    process.environment = environment
    return try ChildProcess.capture(process)
  }

  @Test func jsonHasTheContractFields() throws {
    let result = try Self.run([
      "--model", "gpt3-6.7B", "--tokens", "300e9", "--hardware", "a100-80gb", "--devices", "256",
      "--tp", "8", "--region", "fr", "--price-per-device-hour", "1.5", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    for key in [
      "params", "tokens", "flops", "model_flops", "device_hours", "wall_hours", "energy_kwh", "co2e_kg",
      "memory_per_device_bytes", "cost_usd", "peak", "mfu", "devices", "hardware", "memory",
    ] {
      #expect(object[key] != nil, "missing \(key)")
    }
    let params = try #require(object["params"] as? Double)
    let tokens = try #require(object["tokens"] as? Double)
    #expect(tokens == 300e9)
    #expect(object["flops"] as? Double == 6 * params * tokens)
    #expect((object["model_flops"] as! Double) > (object["flops"] as! Double))
    #expect(object["devices"] as? Int == 256 && object["tp"] as? Int == 8 && object["dp"] as? Int == 32)
    #expect(abs((object["cost_usd"] as! Double) - 1.5 * (object["device_hours"] as! Double)) < 1e-6)
    #expect(abs((object["co2e_kg"] as! Double) - (object["energy_kwh"] as! Double) * 0.06739) < 1e-6)
  }

  /// `--recompute` lowers the activation memory and nothing else.
  @Test func recomputeFlagLowersActivationMemory() throws {
    let arguments = [
      "--model", "gpt2-124M", "--tokens", "1e9", "--hardware", "a100-40gb", "--batch-size", "4", "--json",
    ]
    let stored = try Self.run(arguments)
    let recomputed = try Self.run(arguments + ["--recompute"])
    #expect(stored.status == 0 && recomputed.status == 0, "\(stored.stderr)\(recomputed.stderr)")
    func memory(_ stdout: String) throws -> [String: Double] {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
      return try #require(object["memory"] as? [String: Double])
    }
    let a = try memory(stored.stdout)
    let b = try memory(recomputed.stdout)
    #expect(b["activations_bytes"]! < a["activations_bytes"]! / 2)
    #expect(b["parameters_bytes"] == a["parameters_bytes"] && b["workspace_bytes"] == a["workspace_bytes"])
  }

  /// Patterson et al. 2021, Table 4, GPT-3 row, through the command line.
  @Test func reproducesGPT3EnergyFromTheCommandLine() throws {
    let result = try Self.run([
      "--params", "175e9", "--tokens", "300e9", "--hardware", "v100", "--devices", "1e4",
      "--hours", "355.2", "--power-watts", "330", "--pue", "1.10", "--grid-intensity", "429", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let mwh = (object["energy_kwh"] as! Double) / 1000
    let tonnes = (object["co2e_kg"] as! Double) / 1000
    #expect(abs(mwh - 1287) / 1287 < 0.005)
    #expect(abs(tonnes - 552.1) / 552.1 < 0.005)
  }

  @Test func humanOutputIsATable() throws {
    let result = try Self.run(["--model", "gpt2-124M", "--tokens", "1e9", "--hardware", "h100"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("wall-clock time") && result.stdout.contains("memory per device"))
  }

  @Test(arguments: [
    ["--model", "gpt9", "--tokens", "1e9"],
    ["--model", "gpt2-124M", "--tokens", "0"],
    ["--model", "gpt2-124M", "--tokens=-5"],
    ["--model", "gpt2-124M", "--tokens", "lots"],
    ["--tokens", "1e9"],
    ["--model", "gpt2-124M", "--params", "1e8", "--tokens", "1e9"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--hardware", "abacus"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--region", "atlantis"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--region", "fr", "--grid-intensity", "50"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--devices", "8", "--tp", "2", "--dp", "3"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--hours", "5", "--mfu", "0.5"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--devices", "2.5"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--pue", "0.8"],
    ["--model", "gpt2-124M", "--tokens", "1e9", "--tp", "5", "--devices", "10"],
  ])
  func badInputIsOneErrorLine(arguments: [String]) throws {
    let result = try Self.run(
      arguments + ["--hardware", "v100"].filter { _ in !arguments.contains("--hardware") })
    #expect(result.status != 0)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "\(arguments): \(result.stderr)")
    #expect(result.stdout.isEmpty)
  }
}

extension PlanCommandTests {
  /// Writes a config of a gpt2-124M model over an unused training file, then `sections`, to a
  /// new file in the temporary folder, and returns its path.
  static func writeConfig(_ sections: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "swiftlet-plan-\(UUID().uuidString.prefix(8)).toml"
    ).path
    try """
    [model]
    preset = "gpt2-124M"
    [data]
    train = "unused.bin"
    \(sections)
    """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// `parallel.zero = 1` in the config shards the optimizer state in the estimate, as `--zero1` does.
  @Test func configWithZeroOneHalvesTheOptimizerStateAtTwoDataParallelRanks() throws {
    func optimizerBytes(zero: Int?, flag: Bool) throws -> Double {
      let path = try Self.writeConfig(
        """
        [train]
        batch_size = 8
        seq_len = 64
        max_steps = 10
        [parallel]
        \(zero.map { "zero = \($0)" } ?? "")
        """)
      defer { try? FileManager.default.removeItem(atPath: path) }
      let result = try Self.run(
        ["--config", path, "--devices", "2", "--hardware", "a100-80gb", "--json"] + (flag ? ["--zero1"] : []))
      #expect(result.status == 0, "\(result.stderr)")
      let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
      let memory = try #require(object["memory"] as? [String: Any])
      return try #require(memory["optimizer_bytes"] as? Double)
    }
    let unsharded = try optimizerBytes(zero: 0, flag: false)
    #expect(try optimizerBytes(zero: 1, flag: false) == unsharded / 2)
    #expect(try optimizerBytes(zero: nil, flag: true) == unsharded / 2)
  }
}

extension PlanCommandTests {
  /// `accounting.grid_intensity` alone and `accounting.region` alone are both valid; both is the error.
  @Test func gridIntensityOrRegionAloneAreValidBothAreAnError() throws {
    func plan(_ accounting: String) throws -> (status: Int32, intensity: Double?, stderr: String) {
      let path = try Self.writeConfig("[accounting]\n" + accounting)
      defer { try? FileManager.default.removeItem(atPath: path) }
      let result = try Self.run(["--config", path, "--tokens", "1e9", "--hardware", "a100-80gb", "--json"])
      let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
      let co2 = object?["co2e_kg"] as? Double
      let energy = object?["energy_kwh"] as? Double
      return (result.status, co2.flatMap { c in energy.map { c / $0 * 1000 } }, result.stderr)
    }
    let value = try plan("grid_intensity = 400.0")
    #expect(value.status == 0, "\(value.stderr)")
    #expect(abs((value.intensity ?? 0) - 400) < 1e-6)
    let region = try plan("region = \"fr\"")
    let france = try GridIntensity.named("fr").gramsPerKWh
    #expect(region.status == 0 && abs((region.intensity ?? 0) - france) < 1e-6, "\(region.stderr)")
    let both = try plan("grid_intensity = 400.0\nregion = \"fr\"")
    #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
  }
}

extension PlanCommandTests {
  /// GPT-3 175B as Megatron-LM lays it out (tp 8 × pp 16 × dp 8 on 1,024 A100-80GB, 64
  /// micro-batches, recomputation): fits, with the 1F1B bubble 15/79; without pp it does not.
  @Test func gpt3OnATensorAndPipelineLayoutFitsWithTheOneFOneBBubble() throws {
    func plan(_ extra: [String]) throws -> [String: Any] {
      let result = try Self.run(
        [
          "--model", "gpt3-175B", "--tokens", "300e9", "--hardware", "a100-80gb", "--devices", "1024", "--tp", "8",
          "--zero1", "--recompute", "--batch-size", "3", "--seq-len", "2048", "--json",
        ] + extra)
      #expect(result.status == 0, "\(result.stderr)")
      return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }
    let piped = try plan(["--pp", "16", "--microbatches", "64"])
    #expect(piped["pp"] as? Int == 16 && piped["dp"] as? Int == 8)
    #expect(abs((piped["pipeline_bubble"] as? Double ?? 0) - 15.0 / 79.0) < 1e-12)
    #expect(piped["fits_in_memory"] as? Bool == true)
    #expect((piped["memory_per_device_bytes"] as? Double ?? .infinity) < 80e9)
    let flat = try plan([])
    #expect(flat["fits_in_memory"] as? Bool == false)
    // The bubble stretches the time: 79/64 of the pipeline-free time at the same MFU.
    let unpiped = try plan(["--pp", "16", "--microbatches", "1000000"])
    let ratio = (piped["wall_hours"] as? Double ?? 0) / (unpiped["wall_hours"] as? Double ?? 1)
    #expect(abs(ratio - (79.0 / 64.0) / (1_000_015.0 / 1_000_000.0)) < 1e-9)
    // Impossible layouts are one-line errors.
    let bad = try Self.run(["--model", "gpt3-175B", "--tokens", "1e9", "--devices", "1000", "--tp", "8", "--pp", "16"])
    #expect(bad.status != 0 && bad.stderr.contains("divisible by"), "\(bad.stderr)")
  }
}
