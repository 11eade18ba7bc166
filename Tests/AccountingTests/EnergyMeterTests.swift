import Accounting
import Foundation
import SwiftletCore
import Testing

/// A clock the test moves by hand.
final class FakeClock: @unchecked Sendable {
  var wall = 100.0
  var cpu = 5.0
  var clock: EnergyMeter.Clock {
    EnergyMeter.Clock(wallSeconds: { self.wall }, cpuSeconds: { self.cpu })
  }
}

/// A fake `/sys/class/powercap` tree.
struct FakePowercap {
  let root: URL

  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("rapl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  func zone(_ path: String, name: String, energy: Double, range: Double) throws {
    let dir = root.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try name.write(to: dir.appendingPathComponent("name"), atomically: true, encoding: .utf8)
    try "\(Int(range))\n".write(
      to: dir.appendingPathComponent("max_energy_range_uj"), atomically: true, encoding: .utf8)
    try set(path, energy)
  }

  func set(_ path: String, _ energy: Double) throws {
    try "\(Int(energy))\n".write(
      to: root.appendingPathComponent(path).appendingPathComponent("energy_uj"), atomically: true,
      encoding: .utf8)
  }
}

struct EnergyMeterTests {
  static let power = CPUPower(wattsPerCore: 4, source: "test")
  static let gib = 1_073_741_824.0

  /// No RAPL: CPU seconds × W/core on every rank, memory × W/GiB × wall on the node leader only.
  @Test func estimateCountsCPUTimePerRankAndMemoryOncePerNode() throws {
    let clock = FakeClock()
    let leader = try EnergyMeter(
      isNodeLeader: true, pue: 1.5, power: Self.power, memoryBytes: 8 * Self.gib, raplRoot: nil,
      clock: clock.clock)
    let other = try EnergyMeter(
      isNodeLeader: false, pue: 1.5, power: Self.power, memoryBytes: 8 * Self.gib, raplRoot: nil,
      clock: clock.clock)
    #expect(leader.method == .cpuTimeEstimate)
    clock.wall += 10
    clock.cpu += 18  // two threads busy for 9 s each
    let a = leader.takeDelta()
    let b = other.takeDelta()
    // CPU: 18 s × 4 W = 72 J; memory: 8 GiB × 0.375 W × 10 s = 30 J; × PUE 1.5.
    #expect(abs(a.itKWh * 3.6e6 - (72 + 30)) < 1e-9)
    #expect(abs(a.kWh - a.itKWh * 1.5) < 1e-15)
    #expect(abs(b.itKWh * 3.6e6 - 72) < 1e-9)
    #expect(b.memoryKWh == 0)
    // The mark moves: nothing new, nothing reported.
    #expect(leader.takeDelta().kWh == 0)
  }

  /// RAPL counters are differenced over the interval, with a wrap at max_energy_range_uj, by
  /// the node leader alone; core/uncore subdomains are parts of the package and not added.
  @Test func raplDifferencesCountersAcrossAWrapOnTheLeaderOnly() throws {
    let fake = try FakePowercap()
    defer { try? FileManager.default.removeItem(at: fake.root) }
    let range = 262_143_328_850.0
    try fake.zone("intel-rapl:0", name: "package-0", energy: range - 1_000_000, range: range)
    try fake.zone("intel-rapl:0/intel-rapl:0:0", name: "core", energy: 5_000_000, range: range)
    try fake.zone("intel-rapl:0/intel-rapl:0:1", name: "dram", energy: 2_000_000, range: range)
    let clock = FakeClock()
    let leader = try EnergyMeter(
      isNodeLeader: true, pue: 1, power: Self.power, memoryBytes: 8 * Self.gib, raplRoot: fake.root.path,
      clock: clock.clock)
    let other = try EnergyMeter(
      isNodeLeader: false, pue: 1, power: Self.power, memoryBytes: 8 * Self.gib, raplRoot: fake.root.path,
      clock: clock.clock)
    #expect(leader.method == .rapl && other.method == .rapl)
    // Package wraps: 1 J to the top, then 3 J; dram +0.5 J; core +100 J (ignored).
    try fake.set("intel-rapl:0", 3_000_000)
    try fake.set("intel-rapl:0/intel-rapl:0:1", 2_500_000)
    try fake.set("intel-rapl:0/intel-rapl:0:0", 105_000_000)
    clock.wall += 10
    clock.cpu += 20
    let reading = leader.takeDelta()
    #expect(abs(reading.itKWh * 3.6e6 - 4.5) < 1e-6, "\(reading.itKWh * 3.6e6) J")
    // DRAM is measured, so no memory estimate; the other rank of the node reports nothing.
    #expect(reading.memoryKWh == 0)
    #expect(other.takeDelta().kWh == 0)
  }

  @Test func raplWithoutDramAddsTheMemoryEstimate() throws {
    let fake = try FakePowercap()
    defer { try? FileManager.default.removeItem(at: fake.root) }
    try fake.zone("intel-rapl:0", name: "package-0", energy: 0, range: 1e12)
    try fake.zone("intel-rapl:1", name: "package-1", energy: 0, range: 1e12)
    let clock = FakeClock()
    let leader = try EnergyMeter(
      isNodeLeader: true, power: Self.power, memoryBytes: 8 * Self.gib, raplRoot: fake.root.path,
      clock: clock.clock)
    try fake.set("intel-rapl:0", 7_000_000)
    try fake.set("intel-rapl:1", 3_000_000)
    clock.wall += 10
    let reading = leader.takeDelta()
    #expect(abs(reading.cpuKWh * 3.6e6 - 10) < 1e-6)
    #expect(abs(reading.memoryKWh * 3.6e6 - 30) < 1e-6)
  }

  @Test func unreadablePowercapFallsBackToTheEstimate() throws {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-rapl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: empty) }
    let meter = try EnergyMeter(isNodeLeader: true, raplRoot: empty.path)
    #expect(meter.method == .cpuTimeEstimate)
    #expect(throws: SwiftletError.self) { try EnergyMeter(isNodeLeader: true, pue: 0.5) }
  }

  /// On this machine the real meter must see the CPU time a busy loop burns.
  @Test func realClockSeesBusyCPUTime() throws {
    let meter = try EnergyMeter(isNodeLeader: false, power: Self.power, raplRoot: nil)
    var x = 0.0
    let start = MonotonicClock.processCPUSeconds()
    while MonotonicClock.processCPUSeconds() - start < 0.05 { x += sin(x) + 1 }
    let reading = meter.takeDelta()
    #expect(x > 0)
    #expect(reading.cpuSeconds >= 0.05)
    #expect(abs(reading.cpuKWh * 3.6e6 - reading.cpuSeconds * 4) < 1e-9)
  }
}
