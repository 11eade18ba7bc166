import Dataset
import Foundation
import SwiftletCore
import TestSupport
import Testing
import Training

/// Mutation fuzzing of the readers that take user files (issue 8.3): every mutated input must
/// either load or fail with a `SwiftletError` — never crash, never another error type. Seeded,
/// so a failure reproduces; `SWIFTLET_FUZZ_ITERATIONS` runs more.
struct FuzzTests {
  static let iterations = Int(ProcessInfo.processInfo.environment["SWIFTLET_FUZZ_ITERATIONS"] ?? "") ?? 1500

  struct Mutator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return state >> 17
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    /// Flips bits, deletes, duplicates or inserts interesting bytes, or truncates.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
      var bytes = input
      let interesting: [UInt8] = Array("=[]\"'.\n#\\ 0-9e+infnan{}".utf8) + [0, 0xFF, 0xC3, 0x28]
      for _ in 0...below(4) {
        guard !bytes.isEmpty else {
          bytes = [interesting[below(interesting.count)]]
          continue
        }
        let p = below(bytes.count)
        switch below(6) {
        case 0: bytes[p] ^= UInt8(1 << below(8))
        case 1: bytes.remove(at: p)
        case 2: bytes.insert(interesting[below(interesting.count)], at: p)
        case 3: bytes.insert(contentsOf: bytes[p..<min(bytes.count, p + below(16))], at: p)
        case 4: bytes = Array(bytes.prefix(p))
        default: bytes[p] = interesting[below(interesting.count)]
        }
      }
      return bytes
    }
  }

  static let validConfig = TinyModel.config(
    data: "x", runDirectory: "runs/x", extra: "[checkpoint]\nevery = 5")

  @Test func mutatedConfigsLoadOrFailWithOneLineErrors() throws {
    var mutator = Mutator(state: 0xC0FFEE)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID()).toml").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    var loaded = 0
    var rejected = 0
    for _ in 0..<Self.iterations {
      let bytes = mutator.mutate(Array(Self.validConfig.utf8))
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      do {
        _ = try RunConfig.load(path: path, overrides: [])
        loaded += 1
      } catch let error as SwiftletError {
        #expect(!error.message.isEmpty && !error.message.contains("\n"))
        rejected += 1
      } catch {
        Issue.record("mutated config raised \(type(of: error)): \(error)\n\(String(decoding: bytes, as: UTF8.self))")
      }
    }
    print("config fuzz: \(loaded) loaded, \(rejected) rejected")
    #expect(rejected > 0 && loaded > 0)
  }

  @Test func mutatedOverridesLoadOrFail() {
    var mutator = Mutator(state: 0xBEEF)
    let valid = ["model.preset=gpt2-124M", "data.train=a.bin", "train.lr=3e-4", "parallel.tp=2", "train.seq_len=64"]
    for _ in 0..<Self.iterations {
      let overrides = valid.map { String(decoding: mutator.mutate(Array($0.utf8)), as: UTF8.self) }
      do {
        _ = try RunConfig.load(path: nil, overrides: overrides)
      } catch is SwiftletError {
      } catch {
        Issue.record("overrides \(overrides) raised \(type(of: error))")
      }
    }
  }

  @Test func mutatedTokenShardsOpenOrFailWithOneLineErrors() throws {
    var mutator = Mutator(state: 0x5EED)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-shards-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let valid = directory + "/valid.bin"
    try TokenShardWriter.write((0..<300).map { $0 % 67 }, to: valid)
    let original = Array(try Data(contentsOf: URL(fileURLWithPath: valid)))
    let path = directory + "/mutated.bin"
    var opened = 0
    for i in 0..<Self.iterations {
      // Half the mutations aim at the 1024-byte header, where the structure is.
      var bytes = original
      if i % 2 == 0 {
        let header = mutator.mutate(Array(original.prefix(TokenShard.headerBytes)))
        bytes = header + original.dropFirst(TokenShard.headerBytes)
      } else {
        bytes = mutator.mutate(original)
      }
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      do {
        let stream = try TokenStream(pattern: path, vocabSize: 67)
        let tokens = stream.tokens(offset: mutator.below(10_000), length: 17)
        #expect(tokens.allSatisfy { $0 >= 0 && $0 < 67 })
        opened += 1
      } catch let error as SwiftletError {
        #expect(!error.message.contains("\n"))
      } catch {
        Issue.record("mutated shard raised \(type(of: error))")
      }
    }
    print("shard fuzz: \(opened) of \(Self.iterations) mutated shards still valid")
  }
}
