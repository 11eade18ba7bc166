import Foundation
import TestSupport
import Testing

/// The released-weight fixtures of the import tests, made once per test process by
/// Tests/Reference/make_import_fixtures.py (small random GPT-2 and OPT folders in float32,
/// float16, bfloat16 and sharded, an llm.c file, a token shard, transformers' losses and logits).
///
/// Needs python3 with torch, transformers, safetensors and h5py (`SWIFTLET_PYTHON` picks the
/// interpreter). Without them the tests that need Python are skipped with a message, except
/// under CI (`CI=true`), where a missing prerequisite fails the test.
enum ImportFixtures {
  static let script = PackagePaths.reference("make_import_fixtures.py")

  /// The interpreter with the modules, or nil.
  static let python = Python.with(["torch", "transformers", "safetensors", "h5py"])

  /// The fixture folder, made on first use.
  static let directory: Result<String, Error> = Result {
    guard python != nil else { throw MissingPython() }
    let folder = try Harness.temporaryDirectory("import-fixtures")
    let made = try runPython([script, "make", "--output", folder])
    guard made.status == 0 else { throw FixtureFailure(output: made.output) }
    return folder
  }

  struct MissingPython: Error, CustomStringConvertible {
    var description: String { "python3 with torch, transformers, safetensors and h5py not found" }
  }

  struct FixtureFailure: Error, CustomStringConvertible {
    var output: String
    var description: String { "make_import_fixtures.py failed: \(output.suffix(2000))" }
  }

  /// The fixtures, or nil after recording why: a skip outside CI, a failure under CI.
  static func folder() throws -> String? {
    switch directory {
    case .success(let path): return path
    case .failure(let error as MissingPython):
      Prerequisite.missing("\(error)")
      return nil
    case .failure(let error): throw error
    }
  }

  /// `transformers`' loss on the fixture batch for folder `name`.
  static func referenceLoss(_ folder: String, _ name: String) throws -> Double {
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/reference.json"))
    let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    return (object[name] as! [String: Any])["loss"] as! Double
  }

  /// Runs the fixture script's `compare` or `logits` check; returns its output after checking
  /// it passed.
  @discardableResult
  static func check(_ arguments: [String]) throws -> String {
    let result = try runPython([script] + arguments)
    #expect(result.status == 0 && result.output.contains("OK:"), "\(arguments): \(result.output.suffix(1500))")
    return result.output
  }

  /// Runs the fixture interpreter offline, in an environment without Open MPI's variables.
  static func runPython(_ arguments: [String]) throws -> ChildProcess.Result {
    try python!.run(
      arguments,
      environment: ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "OMP_NUM_THREADS": "1"],
      base: Harness.cleanEnvironment)
  }
}
