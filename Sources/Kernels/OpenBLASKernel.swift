/// One of OpenBLAS's x86-64 kernel sets, named as `OPENBLAS_CORETYPE` spells it, with the
/// instruction-set extensions its code uses (running it without them dies with SIGILL).
///
/// `tier` orders kernels by the widest vector arithmetic their GEMM uses: 1 SSE3, 2 SSSE3/SSE4,
/// 3 SSE4.2, 4 AVX or AMD FMA4, 5 AVX2 + FMA, 6 AVX-512, 7 AVX-512 with BF16, 8 AMX. A kernel of a
/// higher tier is the faster one on any CPU that runs both (docs/performance.md has the figures).
public struct OpenBLASKernel: Equatable, Sendable {
  public let name: String
  public let requires: Set<String>
  public let tier: Int
  /// The first OpenBLAS release that has this kernel set.
  public let introduced: OpenBLASVersion

  /// Every x86-64 kernel set of a DYNAMIC_ARCH OpenBLAS, oldest first (driver/others/dynamic.c).
  public static let all: [OpenBLASKernel] = {
    let v0 = OpenBLASVersion(0, 2, 0)
    let skylakeX: Set<String> = ["avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
    return [
      // 32-bit designs: on x86-64 OpenBLAS loads Prescott for these names.
      OpenBLASKernel(name: "Katmai", requires: ["sse2"], tier: 1, introduced: v0),
      OpenBLASKernel(name: "Coppermine", requires: ["sse2"], tier: 1, introduced: v0),
      OpenBLASKernel(name: "Northwood", requires: ["sse2"], tier: 1, introduced: v0),
      OpenBLASKernel(name: "Prescott", requires: ["pni"], tier: 1, introduced: v0),
      OpenBLASKernel(name: "Banias", requires: ["sse2"], tier: 1, introduced: v0),
      OpenBLASKernel(name: "Atom", requires: ["ssse3"], tier: 2, introduced: v0),
      OpenBLASKernel(name: "Core2", requires: ["ssse3"], tier: 2, introduced: v0),
      OpenBLASKernel(name: "Penryn", requires: ["sse4_1"], tier: 2, introduced: v0),
      OpenBLASKernel(name: "Dunnington", requires: ["sse4_1"], tier: 2, introduced: v0),
      OpenBLASKernel(name: "Nehalem", requires: ["sse4_2"], tier: 3, introduced: v0),
      OpenBLASKernel(name: "Athlon", requires: ["sse2"], tier: 1, introduced: v0),
      // K8-era AMD kernels use 3DNow!, which Zen and later dropped (SIGILL there).
      OpenBLASKernel(name: "Opteron", requires: ["sse2", "3dnow", "3dnowext"], tier: 1, introduced: v0),
      OpenBLASKernel(name: "Opteron_SSE3", requires: ["pni", "3dnow", "3dnowext"], tier: 1, introduced: v0),
      OpenBLASKernel(name: "Barcelona", requires: ["pni", "sse4a"], tier: 2, introduced: v0),
      OpenBLASKernel(name: "Nano", requires: ["ssse3"], tier: 2, introduced: v0),
      OpenBLASKernel(name: "Sandybridge", requires: ["avx"], tier: 4, introduced: v0),
      OpenBLASKernel(name: "Bobcat", requires: ["ssse3", "sse4a"], tier: 2, introduced: v0),
      OpenBLASKernel(name: "Bulldozer", requires: ["avx", "fma4"], tier: 4, introduced: v0),
      OpenBLASKernel(name: "Piledriver", requires: ["avx", "fma", "fma4"], tier: 4, introduced: v0),
      OpenBLASKernel(name: "Haswell", requires: ["avx2", "fma"], tier: 5, introduced: v0),
      OpenBLASKernel(name: "Steamroller", requires: ["avx", "fma", "fma4"], tier: 4, introduced: v0),
      OpenBLASKernel(name: "Excavator", requires: ["avx2", "fma", "fma4"], tier: 5, introduced: v0),
      OpenBLASKernel(name: "Zen", requires: ["avx2", "fma"], tier: 5, introduced: OpenBLASVersion(0, 2, 20)),
      OpenBLASKernel(name: "SkylakeX", requires: skylakeX, tier: 6, introduced: OpenBLASVersion(0, 3, 0)),
      OpenBLASKernel(
        name: "Cooperlake", requires: skylakeX.union(["avx512_bf16"]), tier: 7, introduced: OpenBLASVersion(0, 3, 11)),
      OpenBLASKernel(
        name: "SapphireRapids", requires: skylakeX.union(["avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16"]),
        tier: 8, introduced: OpenBLASVersion(0, 3, 24)),
    ]
  }()

  /// The kernel called `name`, compared without case as OpenBLAS compares it.
  public static func named(_ name: String) -> OpenBLASKernel? {
    all.first { $0.name.lowercased() == name.lowercased() }
  }

  /// True when `cpu` has every extension this kernel's code uses.
  public func runs(on cpu: CPUFeatures) -> Bool { requires.isSubset(of: cpu.flags) }

  /// The extensions of `requires` that `cpu` lacks, in a stable order.
  public func missing(on cpu: CPUFeatures) -> [String] { requires.subtracting(cpu.flags).sorted() }

  /// The kernel a DYNAMIC_ARCH OpenBLAS of `version` loads when `OPENBLAS_CORETYPE` is `requested`
  /// on `cpu`. A name its look-up table does not hold (before 0.3.22 that includes Cooperlake,
  /// which the loop stops short of) falls back to the widest ISA the CPU has.
  public static func loaded(requested: String, cpu: CPUFeatures, version: OpenBLASVersion) -> String {
    if let kernel = named(requested), kernel.introduced <= version, isForceable(kernel, version: version) {
      return ["Katmai", "Coppermine", "Northwood", "Banias", "Athlon"].contains(kernel.name) ? "Prescott" : kernel.name
    }
    return fallback(cpu: cpu, version: version)
  }

  static func isForceable(_ kernel: OpenBLASKernel, version: OpenBLASVersion) -> Bool {
    switch kernel.name {
    case "Cooperlake": return version >= OpenBLASVersion(0, 3, 22)
    case "SapphireRapids": return false  // past the end of the look-up loop (0.3.24 … 0.3.28)
    default: return true
    }
  }

  /// OpenBLAS's choice by ISA when a requested name is unknown (`gotoblas_dynamic_init`).
  static func fallback(cpu: CPUFeatures, version: OpenBLASVersion) -> String {
    let avx512 = cpu.has("avx2") && cpu.has("avx512vl")
    if avx512 && cpu.has("avx512_bf16") && version >= OpenBLASVersion(0, 3, 11) { return "Cooperlake" }
    if avx512 { return "SkylakeX" }
    if cpu.has("avx2") { return "Haswell" }
    if cpu.has("avx") { return "Sandybridge" }
    return "Prescott"
  }
}

/// An OpenBLAS release number, e.g. 0.3.21, read from `openblas_get_config()`.
public struct OpenBLASVersion: Comparable, Sendable, CustomStringConvertible {
  public let major: Int, minor: Int, patch: Int

  public init(_ major: Int, _ minor: Int, _ patch: Int) {
    (self.major, self.minor, self.patch) = (major, minor, patch)
  }

  /// The version in a configuration string such as "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …".
  public init?(config: String) {
    let words = config.split(separator: " ")
    guard let index = words.firstIndex(of: "OpenBLAS"), index + 1 < words.count else { return nil }
    let digits = words[index + 1].split(separator: ".").map { Int($0.prefix { $0.isNumber }) }
    guard digits.count >= 2, let major = digits[0], let minor = digits[1] else { return nil }
    self.init(major, minor, digits.count > 2 ? digits[2] ?? 0 : 0)
  }

  public var description: String { "\(major).\(minor).\(patch)" }

  public static func < (a: OpenBLASVersion, b: OpenBLASVersion) -> Bool {
    (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
  }
}
