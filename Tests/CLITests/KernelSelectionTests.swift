import Foundation
import TestSupport
import Testing

/// The OpenBLAS kernel chosen at start-up, end to end: `doctor`, the replayed Xeon case (a CPU
/// OpenBLAS does not know, so it loads Prescott), verification failure, bad `OPENBLAS_CORETYPE`
/// values, and every rank under `mpirun` deciding alike.
@Suite(.serialized)
struct KernelSelectionTests {
  /// The kernel variables of this process (the test script pins one) must not leak into a run
  /// that tests OpenBLAS's own pick.
  static let kernelVariables = [
    "OPENBLAS_CORETYPE", "SWIFTLET_BLAS_CHOICE", "SWIFTLET_BLAS_DETECTED", "SWIFTLET_BLAS_REJECTED",
  ]

  /// As if OpenBLAS had picked Prescott by itself (the Emerald Rapids case, replayed).
  static let replayPrescott = ["OPENBLAS_CORETYPE": "Prescott", "SWIFTLET_TEST_BLAS_AS_DETECTED": "1"]

  static func doctor(_ environment: [String: String] = [:], ranks: Int? = nil) throws -> [[String: Any]] {
    let result = try Harness.run(
      ["doctor", "--json", "--trials", "1"], ranks: ranks, environment: environment, unset: kernelVariables)
    #expect(result.status == 0, "\(result.stderr)")
    return try result.stdout.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  static func blas(_ object: [String: Any]) throws -> [String: Any] {
    try #require(object["blas"] as? [String: Any])
  }

  @Test func doctorNamesTheKernelTrainingUsesAndTheLibraries() throws {
    let object = try #require(try Self.doctor().first)
    let blas = try Self.blas(object)
    let cpu = try #require(object["cpu"] as? [String: Any])
    #expect((cpu["isa"] as? [String])?.contains("sse2") == true)
    #expect(blas["verified"] as? Bool == true)
    #expect((blas["sgemm_gflops_1thread"] as? Double ?? 0) > 1)
    // With nothing set, the kernel in use is the best this CPU runs (OpenBLAS's own pick or Swiftlet's switch).
    #expect(blas["core"] as? String == blas["best_for_cpu"] as? String)
    #expect(blas["chosen_by"] as? String != "user")
    #expect((object["mpi"] as? [String: Any])?["library"] as? String != "")
    #expect(((object["hdf5"] as? [String: Any])?["version"] as? String)?.hasPrefix("1.") == true)
  }

  @Test func anUnknownCPUsPrescottPickIsReplacedBeforeAnyWork() throws {
    let replayed = try #require(try Self.doctor(Self.replayPrescott).first)
    let blas = try Self.blas(replayed)
    let best = try #require(blas["best_for_cpu"] as? String)
    #expect(best != "Prescott", "this CPU runs a kernel above SSE3")
    #expect(blas["core"] as? String == best)
    #expect(blas["core_detected"] as? String == "Prescott")
    #expect(blas["chosen_by"] as? String == "swiftlet" && blas["forced"] as? Bool == true)
    #expect(blas["verified"] as? Bool == true)
  }

  @Test func aChosenKernelThatFailsVerificationFallsBackWithOneWarning() throws {
    let plain = try #require(try Self.doctor().first)
    let best = try #require(try Self.blas(plain)["best_for_cpu"] as? String)
    var environment = Self.replayPrescott
    environment["SWIFTLET_TEST_BLAS_FAIL_VERIFY"] = best
    let result = try Harness.run(
      ["doctor", "--json", "--trials", "1"], environment: environment, unset: Self.kernelVariables)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let blas = try Self.blas(object)
    #expect(blas["core"] as? String == "Prescott")
    #expect((blas["rejected"] as? String)?.hasPrefix(best) == true)
    let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning:") }
    #expect(warnings.count == 1 && warnings[0].contains("failed verification"), "\(result.stderr)")
  }

  @Test func aBadOrUnrunnableCoretypeIsOneLineErrorBeforeAnyWork() throws {
    let (_, config, run) = try Harness.preparedRun("bad-coretype") { TinyModel.config(data: $0, runDirectory: $1) }
    try? FileManager.default.removeItem(atPath: run)
    // Bulldozer's FMA4 code dies with SIGILL on every Intel CPU and on Zen.
    for (value, phrase) in [("Bogus", "names no kernel"), ("Bulldozer", "fma4")] {
      let result = try Harness.run(
        ["train", "--config", config], environment: ["OPENBLAS_CORETYPE": value], unset: Self.kernelVariables)
      let lines = result.stderr.split(separator: "\n")
      #expect(result.status != 0)
      #expect(
        lines.count == 1 && lines[0].hasPrefix("error: OPENBLAS_CORETYPE=\(value)") && lines[0].contains(phrase),
        "\(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: run), "no run directory before the error")
    }
  }

  @Test func everyRankUnderMpirunSwitchesAlikeAndTrainingNamesTheKernel() throws {
    let ranks = try Self.doctor(Self.replayPrescott, ranks: 2)
    #expect(ranks.count == 2)
    let cores = try ranks.map { try Self.blas($0)["core"] as? String }
    #expect(Set(cores).count == 1 && cores[0] != "Prescott", "\(cores)")

    let (_, config, run) = try Harness.preparedRun("kernel-train") { TinyModel.config(data: $0, runDirectory: $1) }
    let result = try Harness.run(
      ["train", "--config", config, "--set", "train.max_steps=2"], ranks: 2, environment: Self.replayPrescott,
      unset: Self.kernelVariables)
    #expect(result.status == 0, "\(result.stderr)")
    let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("blas: ") })
    #expect(
      line.contains("kernel \(cores[0]!) (chosen by swiftlet over Prescott; verified)")
        && line.contains("calibrated peak"), "\(line)")
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/report.json")))
        as? [String: Any])
    #expect((report["blas"] as? [String: Any])?["core"] as? String == cores[0])
    #expect((report["mfu"] as? Double ?? 2) <= 1)
  }
}
