import CPUID
import Foundation

/// The instruction-set extensions a CPU can execute, named as Linux's `/proc/cpuinfo` names them
/// (`pni` is SSE3, `avx512_bf16`, `amx_tile`, …), so a recorded `/proc/cpuinfo` and a live CPUID
/// read give the same set.
///
/// A vector extension counts only when the operating system also saves its registers (XCR0): a
/// CPU with AVX-512 under a kernel that has not enabled it cannot run AVX-512 code.
public struct CPUFeatures: Equatable, Sendable {
  /// `GenuineIntel`, `AuthenticAMD`, …
  public var vendor: String
  /// CPUID family and model, as `/proc/cpuinfo` prints them (extended fields included).
  public var family: Int
  public var model: Int
  public var flags: Set<String>

  public func has(_ flag: String) -> Bool { flags.contains(flag) }

  /// The extensions that matter for choosing a GEMM kernel, oldest first, that this CPU has.
  public var vectorISA: [String] {
    CPUFeatures.vectorFlags.filter(flags.contains)
  }

  static let vectorFlags = [
    "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "sse4a", "avx", "fma4", "fma", "avx2", "avx_vnni", "avx512f",
    "avx512cd", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
    "amx_tile", "amx_bf16", "amx_int8",
  ]

  /// This CPU, read with CPUID and XCR0.
  public static let current: CPUFeatures = readCPUID()

  static func readCPUID() -> CPUFeatures {
    func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> (eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
      var r: [UInt32] = [0, 0, 0, 0]
      _ = r.withUnsafeMutableBufferPointer { swiftlet_cpuid(leaf, subleaf, $0.baseAddress) }
      return (r[0], r[1], r[2], r[3])
    }
    func bit(_ register: UInt32, _ index: UInt32) -> Bool { register & (1 << index) != 0 }

    let leaf0 = cpuid(0)
    let vendor = [leaf0.ebx, leaf0.edx, leaf0.ecx].flatMap { word in
      (0..<4).map { Character(UnicodeScalar(UInt8((word >> ($0 * 8)) & 0xff))) }
    }
    let leaf1 = cpuid(1)
    let baseFamily = Int((leaf1.eax >> 8) & 0xf)
    let baseModel = Int((leaf1.eax >> 4) & 0xf)
    let family = baseFamily == 0xf ? baseFamily + Int((leaf1.eax >> 20) & 0xff) : baseFamily
    let model = baseFamily == 0x6 || baseFamily == 0xf ? baseModel + (Int((leaf1.eax >> 16) & 0xf) << 4) : baseModel

    let xcr0 = swiftlet_xcr0()
    let osSavesAVX = xcr0 & 0x6 == 0x6
    let osSavesAVX512 = xcr0 & 0xe6 == 0xe6
    let osSavesAMX = xcr0 & 0x60000 == 0x60000

    var flags = Set<String>()
    func add(_ name: String, _ present: Bool) { if present { flags.insert(name) } }
    add("sse2", bit(leaf1.edx, 26))
    add("pni", bit(leaf1.ecx, 0))
    add("ssse3", bit(leaf1.ecx, 9))
    add("sse4_1", bit(leaf1.ecx, 19))
    add("sse4_2", bit(leaf1.ecx, 20))
    add("avx", bit(leaf1.ecx, 28) && osSavesAVX)
    add("fma", bit(leaf1.ecx, 12) && osSavesAVX)
    let leaf7 = cpuid(7)
    add("avx2", bit(leaf7.ebx, 5) && osSavesAVX)
    for (name, index) in [
      ("avx512f", 16), ("avx512dq", 17), ("avx512ifma", 21), ("avx512cd", 28), ("avx512bw", 30), ("avx512vl", 31),
    ] {
      add(name, bit(leaf7.ebx, UInt32(index)) && osSavesAVX512)
    }
    for (name, index) in [
      ("avx512vbmi", 1), ("avx512_vbmi2", 6), ("avx512_vnni", 11), ("avx512_bitalg", 12), ("avx512_vpopcntdq", 14),
    ] {
      add(name, bit(leaf7.ecx, UInt32(index)) && osSavesAVX512)
    }
    add("avx512_fp16", bit(leaf7.edx, 23) && osSavesAVX512)
    add("amx_bf16", bit(leaf7.edx, 22) && osSavesAMX)
    add("amx_tile", bit(leaf7.edx, 24) && osSavesAMX)
    add("amx_int8", bit(leaf7.edx, 25) && osSavesAMX)
    let leaf7s1 = cpuid(7, 1)
    add("avx_vnni", bit(leaf7s1.eax, 4) && osSavesAVX)
    add("avx512_bf16", bit(leaf7s1.eax, 5) && osSavesAVX512)
    let extended = cpuid(0x8000_0001)
    add("sse4a", bit(extended.ecx, 6))
    add("xop", bit(extended.ecx, 11) && osSavesAVX)
    add("fma4", bit(extended.ecx, 16) && osSavesAVX)
    add("3dnowprefetch", bit(extended.ecx, 8))
    add("3dnowext", bit(extended.edx, 30))
    add("3dnow", bit(extended.edx, 31))
    return CPUFeatures(vendor: String(vendor), family: family, model: model, flags: flags)
  }

  /// The first processor of a `/proc/cpuinfo` text (a live file or a recorded one).
  public static func parse(cpuinfo: String) -> CPUFeatures {
    var fields: [String: String] = [:]
    for line in cpuinfo.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let key = parts[0].trimmingCharacters(in: .whitespaces)
      // The first processor's entry only.
      if fields[key] == nil { fields[key] = parts[1].trimmingCharacters(in: .whitespaces) }
    }
    return CPUFeatures(
      vendor: fields["vendor_id"] ?? "unknown", family: Int(fields["cpu family"] ?? "") ?? 0,
      model: Int(fields["model"] ?? "") ?? 0,
      flags: Set((fields["flags"] ?? "").split(separator: " ").map(String.init)))
  }
}
