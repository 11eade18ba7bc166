/// Which OpenBLAS kernel a process should compute with: a pure function of the CPU, the kernel
/// OpenBLAS loaded and the user's `OPENBLAS_CORETYPE`, so it can be tested on recorded machines.
///
/// OpenBLAS picks its kernel from a table of CPU models; a model newer than the library (Debian 12's
/// 0.3.21 on an Emerald Rapids Xeon) gets the SSE3 "Prescott" kernel at a fifth of the speed the
/// CPU can reach. The choice here goes by what the CPU can execute instead (docs/performance.md).
public enum BLASKernelChoice: Equatable, Sendable {
  /// OpenBLAS's own pick is as good as any this CPU runs.
  case keep(String)
  /// Load this kernel instead (set `OPENBLAS_CORETYPE` before OpenBLAS loads).
  case switchTo(String)
  /// The user set `OPENBLAS_CORETYPE` to this valid kernel: it is used as given.
  case userChoice(String)
  /// The user's `OPENBLAS_CORETYPE` names no kernel or one this CPU cannot execute.
  case invalid(String)

  /// Kernels Swiftlet switches to, best first for each tier. Legacy AMD kernel sets are accepted
  /// when OpenBLAS or the user picks them but never chosen.
  static let candidates = [
    "SapphireRapids", "Cooperlake", "SkylakeX", "Zen", "Haswell", "Sandybridge", "Nehalem", "Core2", "Prescott",
  ]

  /// Decides for a process whose OpenBLAS (`version`) loaded `loaded` on `cpu`, with the user's
  /// `OPENBLAS_CORETYPE` (`nil` when unset).
  public static func decide(
    cpu: CPUFeatures, loaded: String, userCoretype: String?, version: OpenBLASVersion
  ) -> BLASKernelChoice {
    if let requested = userCoretype {
      guard let kernel = OpenBLASKernel.named(requested), kernel.introduced <= version else {
        return .invalid(
          "OPENBLAS_CORETYPE=\(requested) names no kernel of OpenBLAS \(version); this CPU runs: "
            + distinctRunnable(cpu: cpu, version: version).joined(separator: ", "))
      }
      guard kernel.runs(on: cpu) else {
        return .invalid(
          "OPENBLAS_CORETYPE=\(requested) needs \(kernel.missing(on: cpu).joined(separator: ", ")), which this CPU "
            + "(\(cpu.vendor) family \(cpu.family) model \(cpu.model)) lacks; it runs: "
            + distinctRunnable(cpu: cpu, version: version).joined(separator: ", "))
      }
      return .userChoice(kernel.name)
    }
    guard let best = best(cpu: cpu, version: version) else { return .keep(loaded) }
    let loadedTier = OpenBLASKernel.named(loaded)?.tier ?? 0
    let bestTier = OpenBLASKernel.named(best)!.tier
    return bestTier > loadedTier ? .switchTo(best) : .keep(loaded)
  }

  /// The kernel Swiftlet prefers on `cpu`: the highest tier that the CPU executes and that this
  /// OpenBLAS loads when asked by name. Within AVX2 it follows the vendor (Zen on AMD).
  public static func best(cpu: CPUFeatures, version: OpenBLASVersion) -> String? {
    let amd = cpu.vendor == "AuthenticAMD"
    let order = candidates.filter { amd ? $0 != "Haswell" : $0 != "Zen" }
    return order.first { canSwitch(to: $0, cpu: cpu, version: version) }
  }

  /// Every kernel this OpenBLAS has that `cpu` executes, best tier first.
  public static func runnable(cpu: CPUFeatures, version: OpenBLASVersion) -> [String] {
    OpenBLASKernel.all.filter { $0.introduced <= version && $0.runs(on: cpu) }
      .sorted { $0.tier > $1.tier }.map(\.name)
  }

  /// One kernel of each distinct GEMM implementation this CPU runs, best first: what the test
  /// suite runs the PyTorch reference tests under.
  public static func distinctRunnable(cpu: CPUFeatures, version: OpenBLASVersion) -> [String] {
    let families = ["Cooperlake", "SkylakeX", "Zen", "Haswell", "Sandybridge", "Nehalem", "Core2", "Prescott"]
    return families.filter { canSwitch(to: $0, cpu: cpu, version: version) }
  }

  /// Whether this OpenBLAS has the kernel `name`, `cpu` executes it, and asking for it by name
  /// loads it (rather than OpenBLAS's fallback).
  static func canSwitch(to name: String, cpu: CPUFeatures, version: OpenBLASVersion) -> Bool {
    guard let kernel = OpenBLASKernel.named(name) else { return false }
    return kernel.introduced <= version && kernel.runs(on: cpu)
      && OpenBLASKernel.loaded(requested: name, cpu: cpu, version: version) == name
  }
}
