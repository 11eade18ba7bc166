import Accounting
import ArgumentParser
import Foundation
import HDF5Bindings
import Kernels
import Parallel
import RunFiles
import Training

/// `swiftlet doctor`: the CPU and the libraries exactly as `train` and `bench` use them.
struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract:
      "Show the CPU, the OpenBLAS kernel training uses (and why), its sgemm speed, and the MPI and HDF5 versions.",
    discussion: """
      The kernel is the one every computing command uses on this machine: OpenBLAS's own pick,
      or a faster one this CPU executes that Swiftlet switched to at start-up, or the user's
      OPENBLAS_CORETYPE (never overridden). "verified" means its sgemm passed the float32 error
      bound against a double-precision reference on model, odd and transposed shapes.
      --kernels also runs every distinct kernel this CPU executes in a child process and times it.
      """)

  @Flag(help: "Print one JSON object.") var json = false
  @Flag(help: "Also probe every distinct OpenBLAS kernel this CPU runs (one child process each).") var kernels = false
  @Flag(help: "Print the distinct kernels this CPU runs, best first, one per line, and exit.") var listKernels = false
  @Option(help: "Trials of each GEMM shape in the sgemm measurement.") var trials = 5

  func run() throws {
    let cpu = CPUFeatures.current
    let version = BLASKernelSelection.version
    let distinctKernels = BLASKernelChoice.distinctRunnable(cpu: cpu, version: version)
    if listKernels {
      for kernel in distinctKernels { print(kernel) }
      return
    }
    let info = CPUInfo.current
    let status = BLASKernelSelection.report
    let gflops = SgemmCalibration.measure(threads: 1, shapes: Doctor.shapes, trials: trials) / 1e9
    let probes = kernels ? try probeKernels(distinctKernels) : []

    var blas = status.jsonObject
    blas["sgemm_gflops_1thread"] = gflops
    blas["verification_worst_ratio"] = BLASKernelSelection.verification.worstRatio
    blas["best_for_cpu"] = BLASKernelChoice.best(cpu: cpu, version: version) ?? NSNull()
    blas["runnable"] = BLASKernelChoice.runnable(cpu: cpu, version: version)
    if kernels { blas["kernels"] = probes }
    let object: [String: Any] = [
      "cpu": [
        "model": info.modelName, "vendor": cpu.vendor, "family": cpu.family, "model_number": cpu.model,
        "cores": info.cores, "isa": cpu.vectorISA,
      ],
      "blas": blas,
      "mpi": ["library": ParallelRuntime.libraryVersion, "standard": ParallelRuntime.standardVersion],
      "hdf5": ["version": hdf5LibraryVersion],
    ]
    if json {
      let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    print("cpu     \(info.modelName) (\(cpu.vendor) family \(cpu.family) model \(cpu.model)), \(info.cores) cores")
    print("isa     \(cpu.vectorISA.joined(separator: " "))")
    print("blas    \(status.summary)")
    print(
      "        sgemm \(String(format: "%.1f", gflops)) GFLOP/s on 1 thread (GPT-2 shapes, best of \(trials) trials)")
    print("        runs: \(distinctKernels.joined(separator: ", ")) (and older variants)")
    if let rejected = status.rejected { print("        rejected: \(rejected)") }
    for probe in probes {
      let name = (probe["requested"] as? String ?? "?").padding(toLength: 12, withPad: " ", startingAt: 0)
      let verdict = (probe["verified"] as? Bool) == true ? "verified" : "FAILED verification"
      let outcome =
        (probe["sgemm_gflops_1thread"] as? Double).map { String(format: "%6.1f GFLOP/s, ", $0) + verdict }
        ?? probe["error"] as? String ?? "failed"
      print("        \(name) \(outcome)")
    }
    print("mpi     \(ParallelRuntime.libraryVersion) (MPI \(ParallelRuntime.standardVersion))")
    print("hdf5    \(hdf5LibraryVersion)")
  }

  /// GPT-2 small's GEMMs at B = 4, T = 64: the shapes of the README's benchmark.
  static let shapes = GemmShape.model(dModel: 768, vocabSize: 50257, rows: 256)

  /// Runs `swiftlet doctor --json` once per kernel of `distinctKernels` with `OPENBLAS_CORETYPE` set.
  func probeKernels(_ distinctKernels: [String]) throws -> [[String: Any]] {
    try distinctKernels.map { kernel in
      var environment = ProcessInfo.processInfo.environment.filter {
        !$0.key.hasPrefix("SWIFTLET_BLAS_") && !$0.key.hasPrefix("SWIFTLET_TEST_BLAS")
      }
      environment["OPENBLAS_CORETYPE"] = kernel
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
      process.arguments = ["doctor", "--json", "--trials", "\(trials)"]
      process.environment = environment
      let pipe = Pipe()
      process.standardOutput = pipe
      process.standardError = FileHandle.nullDevice
      try process.run()
      let output = pipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      guard process.terminationReason == .exit, process.terminationStatus == 0,
        let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
        let blas = object["blas"] as? [String: Any]
      else {
        let how =
          process.terminationReason == .uncaughtSignal
          ? "killed by signal \(process.terminationStatus)" : "exit \(process.terminationStatus)"
        return ["requested": kernel, "error": "probe failed (\(how))"]
      }
      return [
        "requested": kernel, "core": blas["core"] ?? NSNull(), "verified": blas["verified"] ?? false,
        "sgemm_gflops_1thread": blas["sgemm_gflops_1thread"] ?? NSNull(),
      ]
    }
  }
}
