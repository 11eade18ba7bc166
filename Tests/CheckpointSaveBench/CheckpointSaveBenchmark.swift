import Checkpointing
import Foundation
import GPT
import SwiftletCore

#if canImport(Glibc)
  import Glibc
#endif

/// Measures how long a checkpoint save takes against the floor set by the disk: the same
/// bytes written with plain sequential `write()` calls and one `fsync` (what `dd conv=fsync`
/// does), into the same folder, in the same run.
///
/// The state saved is a model plus `copies - 1` optimizer moments (3 for AdamW: parameters,
/// `exp_avg`, `exp_avg_sq`), in the model's real tensor shapes, held in one allocation as the
/// trainer holds it. The save's extra peak memory (peak resident size during the save minus
/// the resident size before it) shows that saving does not copy the state.
enum CheckpointSaveBenchmark {
  /// Timings of one benchmark run.
  struct Result: Sendable {
    /// Bytes of tensor data per save.
    var bytes: Int
    /// Seconds per checkpoint save (create, tensors, CRC-32, flush, fsync, rename, folder fsync).
    var checkpointSeconds: [Double]
    /// Seconds per plain sequential write + fsync of the same bytes.
    var plainWriteSeconds: [Double]
    /// Largest growth of the peak resident size during a save, in bytes (nil where
    /// /proc/self/status is unavailable).
    var extraPeakMemoryBytes: Int?

    /// Best checkpoint time over best plain-write time (the disk of a shared machine is noisy;
    /// the best of several rounds is the least disturbed).
    var ratio: Double { checkpointSeconds.min()! / plainWriteSeconds.min()! }

    /// Median checkpoint time over median plain-write time.
    var medianRatio: Double { median(checkpointSeconds) / median(plainWriteSeconds) }

    private func median(_ values: [Double]) -> Double {
      let sorted = values.sorted()
      let middle = sorted.count / 2
      return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// A few human-readable lines.
    var summary: String {
      func rate(_ seconds: Double) -> String {
        String(format: "%.2f s (%.2f GB/s)", seconds, Double(bytes) / seconds / 1e9)
      }
      var lines = [
        String(
          format: "checkpoint save benchmark: %.2f GB of float32 tensors per save",
          Double(bytes) / 1e9),
        "  swiftlet checkpoint: " + checkpointSeconds.map(rate).joined(separator: ", "),
        "  plain write+fsync:   " + plainWriteSeconds.map(rate).joined(separator: ", "),
        String(
          format: "  ratio:               %.2fx best/best, %.2fx median/median", ratio, medianRatio),
      ]
      if let extra = extraPeakMemoryBytes {
        lines.append(
          String(format: "  extra peak memory during save: %.1f MB", Double(extra) / 1e6))
      }
      return lines.joined(separator: "\n")
    }
  }

  /// Runs `repetitions` rounds of (plain write, checkpoint save), alternating which goes first,
  /// in `directory`, and deletes the files it wrote.
  ///
  /// - Parameters:
  ///   - config: the model whose tensor shapes are saved.
  ///   - copies: tensors saved per parameter: 1 (model only) or 3 (model + AdamW moments).
  static func run(
    directory: String, config: GPTConfig, copies: Int = 3, repetitions: Int = 2,
    progress: ((String) -> Void)? = nil
  ) throws -> Result {
    let names = try CheckpointTensorNames.tensors(for: config)
    let perCopy = names.reduce(0) { $0 + $1.shape.reduce(1, *) }
    let total = perCopy * copies
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    progress?("allocating \(total) floats (\(total * 4 / 1_000_000) MB)")
    let state = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
    defer { state.deallocate() }
    // Touch every page so the state is resident, as a trainer's is; the content does not
    // matter to the file system (no compression) nor to the CRC's speed.
    state.initialize(repeating: 0.001)
    for index in stride(from: 0, to: total, by: 997) { state[index] = Float(index % 1009) }

    let groups =
      ["model"]
      + ["exp_avg", "exp_avg_sq", "moment_3", "moment_4"].prefix(max(0, copies - 1))
      .map { "optimizer/\($0)" }
    var tensors: [(path: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
    var offset = 0
    for group in groups {
      for (name, shape) in names {
        let count = shape.reduce(1, *)
        tensors.append(
          ("\(group)/\(name)", shape, UnsafeBufferPointer(rebasing: state[offset..<offset + count]))
        )
        offset += count
      }
    }

    var result = Result(
      bytes: total * 4, checkpointSeconds: [], plainWriteSeconds: [], extraPeakMemoryBytes: nil)
    for round in 0..<repetitions {
      for plainFirst in round % 2 == 0 ? [true, false] : [false, true] {
        if plainFirst {
          let seconds = try timePlainWrite(tensors.map(\.values), directory: directory)
          result.plainWriteSeconds.append(seconds)
          progress?(String(format: "plain write+fsync: %.2f s", seconds))
        } else {
          let residentBefore = MemoryUsage.resetPeak()
          let start = DispatchTime.now()
          let writer = try CheckpointWriter(
            directory: directory, step: 99_999_999 - round, tokensSeen: 0,
            config: "{\"benchmark\": true}")
          for tensor in tensors {
            try writer.writeTensor(tensor.path, shape: tensor.shape, values: tensor.values)
          }
          let path = try writer.commit()
          let seconds = elapsed(since: start)
          if let before = residentBefore, let peak = MemoryUsage.peakResidentBytes() {
            result.extraPeakMemoryBytes = max(result.extraPeakMemoryBytes ?? 0, peak - before)
          }
          unlink(path)
          result.checkpointSeconds.append(seconds)
          progress?(String(format: "checkpoint save: %.2f s", seconds))
        }
      }
    }
    return result
  }

  /// Writes the buffers one after another to a new file with `write()`, then `fsync`.
  private static func timePlainWrite(_ buffers: [UnsafeBufferPointer<Float>], directory: String)
    throws -> Double
  {
    let path = URL(fileURLWithPath: directory).appendingPathComponent(
      ".plain-write-benchmark-\(getpid())"
    ).path
    defer { unlink(path) }
    let start = DispatchTime.now()
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else {
      throw SwiftletError("cannot create \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    for buffer in buffers {
      var bytes = UnsafeRawBufferPointer(buffer)
      while !bytes.isEmpty {
        let written = write(descriptor, bytes.baseAddress, bytes.count)
        guard written > 0 else {
          throw SwiftletError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(rebasing: bytes[written...])
      }
    }
    guard fsync(descriptor) == 0 else {
      throw SwiftletError("cannot sync \(path): \(String(cString: strerror(errno)))")
    }
    return elapsed(since: start)
  }

  private static func elapsed(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }
}

/// Resident-memory figures of this process from Linux's /proc/self.
enum MemoryUsage {
  /// Resets the peak resident size to the current one (`/proc/self/clear_refs`, value 5) and
  /// returns the current resident size in bytes; nil where unsupported.
  static func resetPeak() -> Int? {
    if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
      handle.write(Data("5".utf8))
      try? handle.close()
    }
    return statusField("VmRSS:")
  }

  /// The peak resident size since the last reset, in bytes.
  static func peakResidentBytes() -> Int? {
    statusField("VmHWM:")
  }

  private static func statusField(_ field: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return nil
    }
    for line in text.split(separator: "\n") where line.hasPrefix(field) {
      let parts = line.split(separator: " ", omittingEmptySubsequences: true)
      if parts.count >= 2, let kilobytes = Int(parts[1]) { return kilobytes * 1024 }
    }
    return nil
  }
}
