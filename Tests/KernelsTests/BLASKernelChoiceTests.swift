import Foundation
import Kernels
import Testing

/// The kernel decision on recorded machines (Fixtures/cpus: `lscpu`, `/proc/cpuinfo` and what
/// Debian 12's OpenBLAS 0.3.21 loads there), whatever CPU runs the tests.
struct BLASKernelChoiceTests {
  static let debian12 = OpenBLASVersion(0, 3, 21)

  static func recorded(_ name: String) throws -> (cpu: CPUFeatures, openblasPick: String) {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/cpus/\(name)", withExtension: "txt"))
    let text = try String(contentsOf: url, encoding: .utf8)
    let cpuinfo = try #require(text.components(separatedBy: "# /proc/cpuinfo").dropFirst().first)
    // "Core: X" after "OPENBLAS_CORETYPE unset" is what OpenBLAS picked by itself there.
    let unset = try #require(text.components(separatedBy: "OPENBLAS_CORETYPE unset").dropFirst().first)
    let pick = try #require(unset.split(separator: "\n").first { $0.hasPrefix("Core: ") })
    return (CPUFeatures.parse(cpuinfo: cpuinfo), String(pick.dropFirst("Core: ".count)))
  }

  /// The message of the `.invalid` decision for `userCoretype` on `cpu`; nil, with `why`
  /// recorded as an issue, when the choice was not rejected.
  static func rejection(
    of userCoretype: String, cpu: CPUFeatures, loaded: String, _ why: Comment,
    sourceLocation: SourceLocation = #_sourceLocation
  ) -> String? {
    guard
      case .invalid(let message) = BLASKernelChoice.decide(
        cpu: cpu, loaded: loaded, userCoretype: userCoretype, version: debian12)
    else {
      Issue.record(why, sourceLocation: sourceLocation)
      return nil
    }
    return message
  }

  /// The Xeon that OpenBLAS 0.3.21 does not know: Prescott as shipped, Cooperlake chosen.
  @Test func emeraldRapidsSwitchesFromPrescottToCooperlake() throws {
    let (xeon, pick) = try Self.recorded("xeon-emerald-rapids")
    #expect(xeon.vendor == "GenuineIntel" && xeon.family == 6 && xeon.model == 207)
    #expect(pick == "Prescott")
    #expect(
      BLASKernelChoice.decide(cpu: xeon, loaded: pick, userCoretype: nil, version: Self.debian12)
        == .switchTo("Cooperlake"))
    // 0.3.21 cannot force Cooperlake by name; its ISA fallback still lands there on a BF16 CPU.
    #expect(OpenBLASKernel.loaded(requested: "Cooperlake", cpu: xeon, version: Self.debian12) == "Cooperlake")
    #expect(
      BLASKernelChoice.distinctRunnable(cpu: xeon, version: Self.debian12)
        == ["Cooperlake", "SkylakeX", "Zen", "Haswell", "Sandybridge", "Nehalem", "Core2", "Prescott"])
  }

  /// A user's choice is never overridden, even a slow one; a bad one is an error naming what runs.
  @Test func userChoicesAreKeptOrRejectedWithTheReason() throws {
    let (xeon, _) = try Self.recorded("xeon-emerald-rapids")
    #expect(
      BLASKernelChoice.decide(cpu: xeon, loaded: "Prescott", userCoretype: "prescott", version: Self.debian12)
        == .userChoice("Prescott"))
    if let unknown = Self.rejection(of: "Bogus", cpu: xeon, loaded: "Prescott", "an unknown name must be rejected") {
      #expect(unknown.contains("names no kernel") && unknown.contains("Cooperlake"))
    }
    // Newer than this OpenBLAS.
    _ = Self.rejection(of: "SapphireRapids", cpu: xeon, loaded: "Prescott", "SapphireRapids is not a kernel of 0.3.21")
    // AMD's FMA4 kernels die with SIGILL on every Intel CPU.
    if let sigill = Self.rejection(of: "Bulldozer", cpu: xeon, loaded: "Prescott", "Bulldozer needs FMA4") {
      #expect(sigill.contains("fma4") && sigill.contains("lacks"))
    }
  }

  /// Zen 4: OpenBLAS 0.3.21 picks Cooperlake itself (kept); a library that picked Zen is switched.
  @Test func zen4KeepsCooperlakeAndLeavesZenForIt() throws {
    let (zen4, pick) = try Self.recorded("amd-epyc-zen4")
    #expect(zen4.vendor == "AuthenticAMD" && zen4.family == 25)
    #expect(pick == "Cooperlake")
    #expect(
      BLASKernelChoice.decide(cpu: zen4, loaded: pick, userCoretype: nil, version: Self.debian12) == .keep("Cooperlake")
    )
    #expect(
      BLASKernelChoice.decide(cpu: zen4, loaded: "Zen", userCoretype: nil, version: Self.debian12)
        == .switchTo("Cooperlake"))
    // K8-era kernels use 3DNow!, which Zen dropped: rejected (they die with SIGILL there).
    #expect(
      BLASKernelChoice.decide(cpu: zen4, loaded: pick, userCoretype: "Opteron", version: Self.debian12)
        != .userChoice("Opteron"))
  }

  /// Older CPUs, derived from the recordings by removing what those CPUs lack.
  @Test func avx2AndAVXOnlyMachinesChooseTheirWidestKernel() throws {
    let (xeon, _) = try Self.recorded("xeon-emerald-rapids")
    var haswell = xeon
    haswell.flags = haswell.flags.filter { !$0.hasPrefix("avx512") && !$0.hasPrefix("amx") && $0 != "avx_vnni" }
    #expect(
      BLASKernelChoice.decide(cpu: haswell, loaded: "Haswell", userCoretype: nil, version: Self.debian12)
        == .keep("Haswell"))
    #expect(
      BLASKernelChoice.decide(cpu: haswell, loaded: "Prescott", userCoretype: nil, version: Self.debian12)
        == .switchTo("Haswell"))
    let message = Self.rejection(
      of: "SkylakeX", cpu: haswell, loaded: "Haswell", "AVX-512 kernels on an AVX2-only CPU must be rejected")
    #expect(message?.contains("avx512f") == true)
    var sandyBridge = haswell
    sandyBridge.flags.subtract(["avx2", "fma"])
    #expect(
      BLASKernelChoice.decide(cpu: sandyBridge, loaded: "Prescott", userCoretype: nil, version: Self.debian12)
        == .switchTo("Sandybridge"))

    let (zen4, _) = try Self.recorded("amd-epyc-zen4")
    var zen2 = zen4
    zen2.flags = zen2.flags.filter { !$0.hasPrefix("avx512") }
    #expect(
      BLASKernelChoice.decide(cpu: zen2, loaded: "Zen", userCoretype: nil, version: Self.debian12) == .keep("Zen"))
    #expect(
      BLASKernelChoice.decide(cpu: zen2, loaded: "Prescott", userCoretype: nil, version: Self.debian12)
        == .switchTo("Zen"))
    // An AVX-512 CPU without BF16 (Skylake-SP): OpenBLAS's fallback for Cooperlake is SkylakeX.
    var skylake = xeon
    skylake.flags.remove("avx512_bf16")
    #expect(OpenBLASKernel.loaded(requested: "Cooperlake", cpu: skylake, version: Self.debian12) == "SkylakeX")
    #expect(BLASKernelChoice.best(cpu: skylake, version: Self.debian12) == "SkylakeX")
  }

  @Test func versionsParseFromTheConfigString() {
    let config = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"
    #expect(OpenBLASVersion(config: config) == OpenBLASVersion(0, 3, 21))
    #expect(OpenBLASVersion(config: "OpenBLAS 0.3.26.dev DYNAMIC_ARCH") == OpenBLASVersion(0, 3, 26))
    #expect(OpenBLASVersion(config: "something else") == nil)
    // From 0.3.22 Cooperlake can be forced by name.
    #expect(OpenBLASVersion(0, 3, 22) > Self.debian12)
  }

  /// CPUID and the kernel's own `/proc/cpuinfo` agree on this machine's vector extensions.
  @Test func cpuidAgreesWithProcCpuinfo() throws {
    let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let linux = CPUFeatures.parse(cpuinfo: text)
    let live = CPUFeatures.current
    #expect(live.vendor == linux.vendor && live.family == linux.family && live.model == linux.model)
    let tracked = [
      "pni", "ssse3", "sse4_1", "sse4_2", "avx", "fma", "avx2", "avx512f", "avx512cd", "avx512bw",
      "avx512dq", "avx512vl", "avx512_bf16", "avx512_fp16", "amx_tile", "fma4", "3dnow",
    ]
    for flag in tracked {
      #expect(live.has(flag) == linux.has(flag), "\(flag): cpuid \(live.has(flag)), /proc/cpuinfo \(linux.has(flag))")
    }
  }

  /// The loaded kernel passes the float32 bound; a perturbed result (a wrong kernel) fails it.
  @Test func verificationPassesTheLoadedKernelAndCatchesAWrongResult() {
    let good = BLASVerification.run()
    print(
      "sgemm verification with \(BLASKernelSelection.loadedCore): worst error \(good.worstRatio) × bound over \(good.cases) shapes"
    )
    #expect(good.passed && good.cases >= 8 && good.worstRatio < 1)
    let bad = BLASVerification.run(corrupt: true)
    #expect(!bad.passed && bad.failure != nil)
  }
}
