import CBLAS
import Foundation
import RunFiles
import SwiftletCore

#if canImport(Glibc)
  import Glibc
#endif

/// Chooses the OpenBLAS kernel at start-up, before anything computes (docs/performance.md,
/// "Kernel choice").
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, when the library loads. So when the kernel it picked
/// is weaker than the best this CPU executes, the process sets the variable and replaces itself
/// (`execv` of its own executable, same arguments and pid) before `MPI_Init`: this works the same
/// under plain `mpirun`, `launch/local.sh` and Slurm, every rank deciding alike. The new image
/// verifies the kernel; a failure brings the process back to OpenBLAS's own pick with one
/// warning. A user's `OPENBLAS_CORETYPE` is never overridden, only checked.
public enum BLASKernelSelection {
  /// Set with the kernel Swiftlet chose, so the new image knows the variable is not the user's.
  static let choiceVariable = "SWIFTLET_BLAS_CHOICE"
  /// The kernel OpenBLAS had picked before the switch.
  static let detectedVariable = "SWIFTLET_BLAS_DETECTED"
  /// "kernel: reason" after a chosen kernel failed verification.
  static let rejectedVariable = "SWIFTLET_BLAS_REJECTED"
  /// Test hook: treat the kernel loaded through `OPENBLAS_CORETYPE` as OpenBLAS's own pick, as on
  /// a CPU this OpenBLAS does not know (the tests replay the Xeon case on any machine with it).
  static let treatAsDetectedVariable = "SWIFTLET_TEST_BLAS_AS_DETECTED"
  /// Test hook: the verification of the named kernel fails, as a wrong kernel would.
  static let failVerificationVariable = "SWIFTLET_TEST_BLAS_FAIL_VERIFY"

  nonisolated(unsafe) private static var selected: BLASReport?

  /// The kernel in use and its provenance (selects first if `select` was not called); `verified`
  /// is left false.
  static var status: BLASReport {
    if let selected { return selected }
    let status = describe(environment: ProcessInfo.processInfo.environment)
    selected = status
    return status
  }

  /// The kernel in use, its provenance and whether it passed `verification` (run on first use).
  public static var report: BLASReport {
    var report = status
    report.verified = verification.passed
    return report
  }

  /// The verification of the loaded kernel, run once per process on first use.
  public static let verification: BLASVerification.Result = {
    let fail = ProcessInfo.processInfo.environment[failVerificationVariable]
    return BLASVerification.run(corrupt: fail != nil && fail?.lowercased() == loadedCore.lowercased())
  }()

  /// The loaded kernel's name.
  public static var loadedCore: String { String(cString: openblas_get_corename()) }

  /// `openblas_get_config()`.
  public static var config: String { String(cString: openblas_get_config()) }

  /// This OpenBLAS's release (0.3.21 when the configuration string cannot be read).
  public static var version: OpenBLASVersion { OpenBLASVersion(config: config) ?? OpenBLASVersion(0, 3, 21) }

  /// Call first thing in `main`. May replace the process image; throws for an
  /// `OPENBLAS_CORETYPE` that names no kernel or one this CPU cannot execute.
  public static func select(cpu: CPUFeatures = .current) throws {
    var environment = ProcessInfo.processInfo.environment
    let loaded = loadedCore
    if environment[treatAsDetectedVariable] != nil {
      // Replay: the kernel loaded now stands for OpenBLAS's own pick.
      unsetenv(treatAsDetectedVariable)
      unsetenv("OPENBLAS_CORETYPE")
      environment["OPENBLAS_CORETYPE"] = nil
      environment[choiceVariable] = nil
    }
    let ours = environment[choiceVariable]
    let user = environment["OPENBLAS_CORETYPE"].flatMap { $0 == ours ? nil : $0 }

    if let user {
      if case .invalid(let message) = BLASKernelChoice.decide(
        cpu: cpu, loaded: loaded, userCoretype: user, version: version)
      {
        throw SwiftletError(message)
      }
    } else if let ours {
      // The new image after a switch: the chosen kernel must have loaded and must compute right.
      if environment[rejectedVariable] == nil {
        let reason: String?
        if loaded.lowercased() != ours.lowercased() {
          reason = "OpenBLAS loaded \(loaded) when asked for it"
        } else if !verification.passed {
          reason = verification.failure ?? "verification failed"
        } else {
          reason = nil
        }
        if let reason {
          let detected = environment[detectedVariable] ?? loaded
          warnOnce("OpenBLAS kernel \(ours) failed verification (\(reason)); using OpenBLAS's own pick, \(detected)")
          setenv("OPENBLAS_CORETYPE", detected, 1)
          setenv(choiceVariable, detected, 1)
          setenv(rejectedVariable, "\(ours): \(reason)", 1)
          replaceProcess()
        }
      }
    } else if case .switchTo(let better) = BLASKernelChoice.decide(
      cpu: cpu, loaded: loaded, userCoretype: nil, version: version)
    {
      setenv("OPENBLAS_CORETYPE", better, 1)
      setenv(choiceVariable, better, 1)
      setenv(detectedVariable, loaded, 1)
      replaceProcess()
      // execv returned: keep computing with what loaded.
      unsetenv("OPENBLAS_CORETYPE")
      unsetenv(choiceVariable)
      unsetenv(detectedVariable)
      warnOnce("could not restart with OpenBLAS kernel \(better); computing with \(loaded)")
    }
    selected = describe(environment: ProcessInfo.processInfo.environment)
  }

  /// The status implied by the environment of this (final) process image.
  static func describe(environment: [String: String]) -> BLASReport {
    let loaded = loadedCore
    let ours = environment[choiceVariable]
    let coretype = environment["OPENBLAS_CORETYPE"]
    let chosenBy: String
    var detected: String?
    if let coretype, coretype != ours {
      chosenBy = "user"
    } else if ours != nil, environment[rejectedVariable] == nil {
      chosenBy = "swiftlet"
      detected = environment[detectedVariable]
    } else {
      chosenBy = "openblas"
      detected = environment[detectedVariable] ?? loaded
    }
    var status = BLASReport()
    status.library = "OpenBLAS"
    status.version = version.description
    status.config = config
    status.core = loaded
    status.coreDetected = detected
    status.forced = chosenBy != "openblas"
    status.chosenBy = chosenBy
    status.rejected = environment[rejectedVariable]
    return status
  }

  /// Replaces this process with a fresh image of the same executable and arguments.
  static func replaceProcess() {
    let arguments = CommandLine.arguments
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
    argv.append(nil)
    fflush(stdout)
    fflush(stderr)
    execv("/proc/self/exe", &argv)
  }

  /// Prints a warning on rank 0 of an MPI job only (or always, outside one).
  static func warnOnce(_ message: String) {
    let environment = ProcessInfo.processInfo.environment
    let rank =
      ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"].lazy
      .compactMap { environment[$0] }.first.flatMap(Int.init) ?? 0
    if rank == 0 { fputs("warning: \(message)\n", stderr) }
  }
}

extension BLASReport {
  /// One line for logs: "OpenBLAS 0.3.21, kernel Cooperlake (chosen by swiftlet over Prescott; verified)".
  public var summary: String {
    var origin: String
    switch chosenBy {
    case "swiftlet": origin = "chosen by swiftlet over \(coreDetected ?? "?")"
    case "user": origin = "OPENBLAS_CORETYPE"
    default: origin = "OpenBLAS's own pick"
    }
    if let rejected { origin += "; \(rejected.split(separator: ":").first ?? "") failed verification" }
    return "\(library) \(version), kernel \(core) (\(origin); \(verified ? "verified" : "NOT verified"))"
  }
}
