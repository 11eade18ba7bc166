import SwiftletCore

/// What one device can compute, draw and hold: the denominators of MFU and the power of energy
/// estimates (docs/accounting.md). Every figure's source is in docs/accounting.md.
///
/// A "device" is what one rank drives: a GPU, a TPU chip, or, for CPUs, the cores one rank's
/// threads run on. Planning with `--hardware cpu` takes the whole node as one device.
public struct HardwareProfile: Equatable, Codable, Sendable {
  public enum Kind: String, Codable, Sendable { case cpu, gpu, tpu }

  /// Profile name as given on the command line (`v100`, `cpu`, …).
  public var name: String
  public var kind: Kind
  /// Human description, e.g. "NVIDIA V100 SXM2 32 GB".
  public var description: String
  /// Peak FLOP/s of one device at `precision` (dense, no sparsity).
  public var peakFlops: Double
  /// The arithmetic the peak refers to: "bf16", "fp16", "fp32".
  public var precision: String
  /// Average power of one device while training, in watts, including its share of host, memory
  /// and fans where the source measured it (Patterson et al. 2021, Table 3); otherwise the TDP.
  public var averagePowerWatts: Double
  /// Thermal design power of the chip, where published (nil when not).
  public var tdpWatts: Double?
  /// Memory one device holds, in bytes.
  public var memoryBytes: Double
  /// Short citation of each figure.
  public var sources: [String]
}

extension HardwareProfile {
  static let gib = 1_073_741_824.0

  /// Accelerator profiles by name. `cpu` and `auto` are built from this machine instead
  /// (`HardwareProfile.thisMachine`).
  public static let accelerators: [String: HardwareProfile] = {
    let patterson = "Patterson et al. 2021, Table 3 (measured average system power per processor)"
    let list = [
      HardwareProfile(
        name: "p100", kind: .gpu, description: "NVIDIA Tesla P100 SXM2 16 GB",
        peakFlops: 10.6e12, precision: "fp32", averagePowerWatts: 271, tdpWatts: 300,
        memoryBytes: 16 * gib,
        sources: [
          "peak: NVIDIA Tesla P100 datasheet, 10.6 TFLOPS fp32 (21.2 fp16; no tensor cores, and the P100-era training of Strubell et al. 2019 was fp32)",
          "power: " + patterson + ", 271 W", "memory: 16 GB HBM2",
        ]),
      HardwareProfile(
        name: "v100", kind: .gpu, description: "NVIDIA Tesla V100 SXM2 32 GB",
        peakFlops: 125e12, precision: "fp16", averagePowerWatts: 325, tdpWatts: 300,
        memoryBytes: 32 * gib,
        sources: [
          "peak: NVIDIA V100 datasheet, 125 TFLOPS fp16 tensor (Patterson et al. 2021, footnote 12)",
          "power: " + patterson + ", 325 W (330 W for GPT-3 in Table 4)",
          "memory: 32 GB HBM2 (a 16 GB part also exists)",
        ]),
      HardwareProfile(
        name: "a100-40gb", kind: .gpu, description: "NVIDIA A100 SXM4 40 GB",
        peakFlops: 312e12, precision: "bf16", averagePowerWatts: 400, tdpWatts: 400,
        memoryBytes: 40 * gib,
        sources: [
          "peak: NVIDIA A100 datasheet, 312 TFLOPS bf16 dense (624 with sparsity)",
          "power: SXM4 maximum TDP 400 W (no measured training average published; TDP used)",
          "memory: 40 GB HBM2",
        ]),
      HardwareProfile(
        name: "a100-80gb", kind: .gpu, description: "NVIDIA A100 SXM4 80 GB",
        peakFlops: 312e12, precision: "bf16", averagePowerWatts: 400, tdpWatts: 400,
        memoryBytes: 80 * gib,
        sources: [
          "peak: NVIDIA A100 datasheet, 312 TFLOPS bf16 dense", "power: SXM4 maximum TDP 400 W",
          "memory: 80 GB HBM2e",
        ]),
      HardwareProfile(
        name: "h100", kind: .gpu, description: "NVIDIA H100 SXM5 80 GB",
        peakFlops: 989.4e12, precision: "bf16", averagePowerWatts: 700, tdpWatts: 700,
        memoryBytes: 80 * gib,
        sources: [
          "peak: NVIDIA H100 datasheet, 1,979 TFLOPS bf16 with sparsity, 989.4 dense",
          "power: SXM5 maximum TDP 700 W (TDP used)", "memory: 80 GB HBM3",
        ]),
      HardwareProfile(
        name: "tpu-v2", kind: .tpu, description: "Google TPU v2 chip",
        peakFlops: 46e12, precision: "bf16", averagePowerWatts: 221, tdpWatts: 280,
        memoryBytes: 16 * gib,
        sources: [
          "peak: Patterson et al. 2021, footnote 12, 46 TFLOPS", "power: " + patterson + ", 221 W",
          "TDP: Patterson et al. 2021, Table 4, 280 W", "memory: 16 GiB HBM per chip (Google Cloud TPU docs)",
        ]),
      HardwareProfile(
        name: "tpu-v3", kind: .tpu, description: "Google TPU v3 chip",
        peakFlops: 123e12, precision: "bf16", averagePowerWatts: 283, tdpWatts: 450,
        memoryBytes: 32 * gib,
        sources: [
          "peak: Patterson et al. 2021, footnote 12, 123 TFLOPS", "power: " + patterson + ", 283 W",
          "TDP: Patterson et al. 2021, Table 4, 450 W", "memory: 32 GiB HBM per chip (Google Cloud TPU docs)",
        ]),
      HardwareProfile(
        name: "tpu-v4", kind: .tpu, description: "Google TPU v4 chip",
        peakFlops: 275e12, precision: "bf16", averagePowerWatts: 192, tdpWatts: nil,
        memoryBytes: 32 * gib,
        sources: [
          "peak: Google Cloud TPU v4 documentation, 275 TFLOPS bf16",
          "power: Google Cloud TPU v4 documentation, 192 W chip maximum (chip only: no host share, so a lower bound next to Table 3's system averages)",
          "memory: 32 GiB HBM2 per chip",
        ]),
    ]
    return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
  }()

  /// Every name `profile(named:)` accepts.
  public static var knownNames: [String] {
    (["auto", "cpu"] + accelerators.keys.sorted())
  }

  /// The accelerator called `name` (case-insensitive), or an error listing the known names.
  /// `cpu` and `auto` need a measurement: use `thisMachine(...)` for them.
  public static func accelerator(named name: String) throws -> HardwareProfile {
    if let profile = accelerators[name.lowercased()] { return profile }
    throw SwiftletError(
      "unknown hardware '\(name)'; known hardware: \(knownNames.joined(separator: ", "))")
  }

  /// Whether `name` means this machine's CPU.
  public static func isCPU(_ name: String) -> Bool {
    ["cpu", "auto"].contains(name.lowercased())
  }
}
