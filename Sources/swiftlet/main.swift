import ArgumentParser
import Foundation
import Kernels

/// The `swiftlet` command line (README.md).
struct Swiftlet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swiftlet",
    abstract: "Train GPT-2/GPT-3- and OPT-family language models on CPUs with MPI, and account for their cost.",
    // In the order `swiftlet --help` lists them; each lives in its own file.
    subcommands: [
      Train.self, Prepare.self, Eval.self, Sample.self, Plan.self, Inspect.self, Import.self, Export.self,
      Report.self, Bench.self, Doctor.self,
    ]
  )
}

// The OpenBLAS kernel is settled before anything computes: this may restart the process with
// OPENBLAS_CORETYPE set (docs/performance.md, "Kernel choice").
do {
  try BLASKernelSelection.select()
} catch {
  FileHandle.standardError.write("error: \(error)\n")
  exit(2)
}

// swift-argument-parser prints a multi-line `Error:` plus usage by default; Swiftlet promises
// exactly one `error: …` line and a non-zero exit for every user error.
do {
  var command = try Swiftlet.parseAsRoot()
  try command.run()
} catch {
  let code = Swiftlet.exitCode(for: error)
  if code == .success {
    // --help and --version arrive here as "errors" whose message is the text to print.
    print(Swiftlet.fullMessage(for: error))
    exit(0)
  }
  if let rankError = error as? RankError, !rankError.printed { exit(1) }
  let message = Swiftlet.message(for: error)
  let firstLine = message.split(separator: "\n").first.map(String.init) ?? "\(error)"
  FileHandle.standardError.write("error: \(firstLine.replacingOccurrences(of: "Error: ", with: ""))\n")
  exit(code.rawValue == 0 ? 1 : code.rawValue)
}
