import Foundation
import SwiftletCore

/// Parses and checks a safetensors JSON header (see `SafetensorsFile`).
enum SafetensorsHeader {
  static func parse(_ bytes: [UInt8], dataStart: Int, fileSize: Int, path: String) throws
    -> [String: SafetensorsFile.Entry]
  {
    func bad(_ reason: String) -> SwiftletError {
      SwiftletError("\(path) is not a valid safetensors file: \(reason)")
    }
    guard let root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
      throw bad("its header is not a JSON object")
    }
    let dataSize = fileSize - dataStart
    var entries: [String: SafetensorsFile.Entry] = [:]
    for (name, value) in root {
      if name == "__metadata__" {
        guard value is [String: Any] else { throw bad("__metadata__ is not an object") }
        continue
      }
      guard let fields = value as? [String: Any] else { throw bad("entry '\(name)' is not an object") }
      guard let dtypeName = fields["dtype"] as? String else { throw bad("tensor '\(name)' has no dtype") }
      guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
        throw SwiftletError("\(path): tensor '\(name)' has dtype \(dtypeName); swiftlet imports F32, F16 and BF16 only")
      }
      guard let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
        throw bad("tensor '\(name)' has no valid shape")
      }
      guard let offsets = integers(fields["data_offsets"]), offsets.count == 2,
        0 <= offsets[0], offsets[0] <= offsets[1]
      else { throw bad("tensor '\(name)' has no valid data_offsets") }
      guard offsets[1] <= dataSize else {
        throw SwiftletError(
          "\(path) is truncated or damaged: tensor '\(name)' ends at data byte \(offsets[1]), past the end of the data (\(dataSize) bytes)"
        )
      }
      var elements = 1
      for extent in shape {
        let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
        guard !overflow else { throw bad("tensor '\(name)' has an absurd shape \(shape)") }
        elements = product
      }
      guard elements * dtype.size == offsets[1] - offsets[0] else {
        throw bad(
          "tensor '\(name)' of shape \(shape) and dtype \(dtypeName) needs \(elements * dtype.size) bytes, its data_offsets span \(offsets[1] - offsets[0])"
        )
      }
      entries[name] = .init(
        name: name, dtype: dtype, shape: shape, bytes: (dataStart + offsets[0])..<(dataStart + offsets[1]))
    }
    let sorted = entries.values.filter { !$0.bytes.isEmpty }.sorted { $0.bytes.lowerBound < $1.bytes.lowerBound }
    for (first, second) in zip(sorted, sorted.dropFirst()) where second.bytes.lowerBound < first.bytes.upperBound {
      throw bad("tensors '\(first.name)' and '\(second.name)' overlap in the file")
    }
    return entries
  }

  /// A JSON array of integers (JSONSerialization gives NSNumber).
  private static func integers(_ value: Any?) -> [Int]? {
    guard let array = value as? [Any] else { return nil }
    var result: [Int] = []
    for item in array {
      guard let number = item as? NSNumber, number.doubleValue == Double(number.intValue) else { return nil }
      result.append(number.intValue)
    }
    return result
  }
}
