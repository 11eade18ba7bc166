import Accounting
import Foundation
import GPT
import Kernels
import RunFiles
import SwiftletCore
import Testing

struct HardwareAndGridTests {
  @Test func contractProfilesExistWithPositiveFigures() throws {
    for name in ["p100", "v100", "a100-40gb", "a100-80gb", "h100", "tpu-v3", "tpu-v4"] {
      let profile = try HardwareProfile.accelerator(named: name)
      #expect(
        profile.peakFlops > 1e12 && profile.averagePowerWatts > 50 && profile.memoryBytes > 1e10, "\(name)")
      #expect(!profile.sources.isEmpty)
    }
    #expect(try HardwareProfile.accelerator(named: "V100").name == "v100")
    #expect(HardwareProfile.knownNames.contains("auto") && HardwareProfile.knownNames.contains("cpu"))
    #expect(throws: SwiftletError.self) { try HardwareProfile.accelerator(named: "tpu-v9") }
    #expect(throws: SwiftletError.self) { try HardwareProfile.accelerator(named: "cpu") }
  }

  @Test func cpuProfileIsPerCorePeakTimesCoresPlusTDPAndMemoryPower() {
    let cpu = CPUInfo(
      modelName: "AMD EPYC 7763 64-Core Processor", vendor: "AuthenticAMD", family: 25, cores: 64,
      memoryBytes: 256 * 1_073_741_824)
    let node = HardwareProfile.thisMachine(perCorePeak: 50e9, cpu: cpu)
    #expect(node.peakFlops == 64 * 50e9)
    // 280 W / 64 cores × 64 + 256 GiB × 0.375 W/GiB.
    #expect(abs(node.averagePowerWatts - (280 + 96)) < 1e-9)
    let rank = HardwareProfile.thisMachine(perCorePeak: 50e9, cpu: cpu, coresPerDevice: 2)
    #expect(rank.peakFlops == 100e9)
    #expect(abs(rank.averagePowerWatts - (2 * 4.375 + 3)) < 1e-9)
    #expect(rank.memoryBytes == 8 * 1_073_741_824)
  }

  @Test func cpuPowerTableMatchesModelsAndFamilies() {
    func power(_ model: String, _ vendor: String = "AuthenticAMD", family: Int = 25) -> Double {
      CPUPowerTable.power(
        for: CPUInfo(modelName: model, vendor: vendor, family: family, cores: 2, memoryBytes: 0)
      ).wattsPerCore
    }
    #expect(power("AMD EPYC 7763 64-Core Processor") == 280.0 / 64)
    #expect(power("AMD EPYC", family: 26) == 500.0 / 128)  // this machine: Zen 5, model hidden
    #expect(power("Intel(R) Xeon(R) Platinum 8480+", "GenuineIntel", family: 6) == 350.0 / 56)
    #expect(power("Some Unknown CPU", "GenuineIntel", family: 6) > 0)
  }

  @Test func cpuInfoParsesProcFiles() {
    let info = CPUInfo.parse(
      cpuinfo: "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel name\t: AMD EPYC\n",
      meminfo: "MemTotal:       24576000 kB\nMemFree: 1 kB\n", cores: 2)
    #expect(info.modelName == "AMD EPYC" && info.vendor == "AuthenticAMD" && info.family == 26)
    #expect(info.memoryBytes == 24_576_000 * 1024)
    #expect(info.cores == 2)
    #expect(CPUInfo.current.cores >= 1 && CPUInfo.current.memoryBytes > 0)
  }

  @Test func gridIntensityFromValueOrRegion() throws {
    #expect(try GridIntensity.resolve(gramsPerKWh: nil, region: nil).gramsPerKWh == 475)
    #expect(try GridIntensity.resolve(gramsPerKWh: 0, region: "FR").region == "fr")
    #expect(try GridIntensity.resolve(gramsPerKWh: 123, region: nil).gramsPerKWh == 123)
    #expect(try GridIntensity.named("gcp-us-central1").gramsPerKWh == 412.72)
    #expect(throws: SwiftletError.self) { try GridIntensity.named("mars") }
    #expect(throws: SwiftletError.self) { try GridIntensity.resolve(gramsPerKWh: 100, region: "fr") }
    #expect(throws: SwiftletError.self) { try GridIntensity.resolve(gramsPerKWh: -3, region: nil) }
    for region in GridIntensity.regions {
      #expect(
        region.gramsPerKWh > 0 && region.gramsPerKWh < 1000 && !region.source.isEmpty, "\(region.region)")
    }
    #expect(Set(GridIntensity.regions.map(\.region)).count == GridIntensity.regions.count)
    #expect(try GridIntensity.named("world").co2eKg(kWh: 2) == 0.95)
  }

  /// Strubell et al. 2019, Table 1: a passenger's New York ↔ San Francisco round trip is 1,984 lbs.
  @Test func equivalentsUseTheirSources() {
    let trip = CarbonEquivalents(co2eKg: 1984 * CarbonEquivalents.kgPerPound)
    #expect(abs(trip.passengerRoundTripsNYSF - 1) < 1e-12)
    #expect(abs(CarbonEquivalents(co2eKg: 0.4).carKm - 1.609344) < 1e-12)  // 400 g per mile
    #expect(abs(CarbonEquivalents(co2eKg: 180_000).planeRoundTripsSFNY - 1) < 1e-12)
    #expect(trip.sentence.contains("km by car"))
  }

  /// A short measurement and its cache, keyed by CPU model, OpenBLAS kernel and threads.
  @Test func sgemmCalibrationMeasuresAndCaches() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sgemm-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let calibration = SgemmCalibration(
      cacheURL: dir.appendingPathComponent("swiftlet/sgemm-peak.json"),
      shapes: GemmShape.model(dModel: 64, vocabSize: 500, rows: 32), trials: 2)
    #expect(calibration.cached(threads: 1, cpuModel: "Test CPU") == nil)
    let first = calibration.peak(threads: 1, cpuModel: "Test CPU")
    print("sgemm on small GPT shapes, 1 thread, \(first.blasCore): \(first.flopsPerSecond / 1e9) GFLOP/s")
    #expect(first.flopsPerSecond > 1e8)
    #expect(first.blasCore == BLASKernelSelection.loadedCore)
    #expect(calibration.cached(threads: 1, cpuModel: "Test CPU") == first)
    #expect(calibration.peak(threads: 1, cpuModel: "Test CPU") == first)  // from the cache
    // The file keeps the keys caches written by earlier versions have.
    let file = try JSONSerialization.jsonObject(with: Data(contentsOf: calibration.cacheURL)) as! [String: Any]
    let entry = (file["measurements"] as! [[String: Any]])[0]
    #expect(Set(entry.keys) == ["blas_core", "cpu_model", "flops_per_second", "measured_at", "threads"])
    #expect(file["version"] as? Int == 2)
    #expect(calibration.cached(threads: 2, cpuModel: "Test CPU") == nil)
    #expect(calibration.cached(threads: 1, cpuModel: "Other CPU") == nil)
    #expect(
      calibration.cached(threads: 1, cpuModel: "Test CPU", blasCore: "Prescott-or-other") == nil
        || first.blasCore == "Prescott-or-other")
    let fresh = calibration.peak(threads: 1, cpuModel: "Test CPU", remeasure: true)
    #expect(calibration.cached(threads: 1, cpuModel: "Test CPU") == fresh)
  }

  /// A peak calibrated in a busy moment is raised by the first step that beats it: MFU never
  /// exceeds 100%, and the report says the peak was raised.
  @Test func aStepFasterThanTheCalibratedPeakRaisesItAndMFUStaysAtMost100Percent() throws {
    let model = try GPTConfig.preset(named: "gpt2-124M")
    let slowPeak = HardwareProfile.thisMachine(perCorePeak: 1e9, coresPerDevice: 1)
    let run = RunDescription(
      modelName: "gpt2-124M", model: model, seqLen: 64, tokensPerStep: 256, maxSteps: 10, devices: 1,
      microBatch: 4, hardware: slowPeak, grid: try GridIntensity.named("world"), pue: 1, energyMethod: .cpuTimeEstimate)
    let accountant = TrainingAccountant(run: run)
    // 1.9e11 model FLOPs in 2 s is 95 GFLOP/s, far above the 1 GFLOP/s "calibration".
    let live = accountant.record(stepSeconds: 2, energyKWh: 1e-6)
    #expect(accountant.peakRaised && accountant.calibratedPeak == 1e9)
    #expect(live.mfu <= 1 && live.mfu > 0.5, "mfu \(live.mfu)")
    #expect(accountant.report().mfu <= 1)
    // A slower step keeps the raised peak: its MFU is below 1.
    #expect(accountant.record(stepSeconds: 4, energyKWh: 1e-6).mfu < 0.6)
  }

  @Test func defaultCacheLivesUnderXDGCacheHome() {
    let path = SgemmCalibration.defaultCacheURL.path
    #expect(path.hasSuffix("/swiftlet/sgemm-peak.json"))
    if let xdg = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"], !xdg.isEmpty {
      #expect(path.hasPrefix(xdg))
    }
  }
}

struct FormatTests {
  @Test func numbersReadLikeThePapersTables() {
    #expect(Format.number(1287.4) == "1,287")
    #expect(Format.number(656_347.28) == "656,347")
    #expect(Format.number(85.7) == "85.7")
    #expect(Format.number(0.0123) == "0.0123")
    #expect(Format.number(124_439_808) == "1.24e8")
    #expect(Format.number(9.996e6) == "1.00e7")
    #expect(Format.flops(3.14e23) == "3.14e23")
    #expect(Format.energy(kWh: 1_287_000) == "1,287 MWh")
    #expect(Format.energy(kWh: 0.0128) == "12.8 Wh")
    #expect(Format.mass(kg: 552_100) == "552 t")
    #expect(Format.bytes(1.5 * 1_073_741_824) == "1.5 GiB")
    #expect(Format.duration(seconds: 14.8 * 86400) == "14.8 days")
    #expect(Format.rate(125e12) == "125 TFLOP/s")
  }
}
