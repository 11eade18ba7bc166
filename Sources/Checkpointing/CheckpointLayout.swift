import Foundation

/// Names and constants of the checkpoint file format (docs/checkpoint-format.md).
public enum CheckpointLayout {
  /// Value of the root attribute `format`.
  public static let format = "swiftlet-checkpoint"
  /// Value of the root attribute `format_version` this build writes and reads.
  public static let formatVersion: Int64 = 1

  /// Group of the model parameters (Hugging Face `GPT2LMHeadModel` names, no `lm_head`).
  public static let modelGroup = "model"
  /// Group of the optimizer state: `optimizer/<kind>/<parameter name>`.
  public static let optimizerGroup = "optimizer"
  /// Group whose attributes hold the cumulative compute/energy/carbon ledger.
  public static let accountingGroup = "accounting"
  /// Group of any further resume state (RNG counters, data cursors, …).
  public static let stateGroup = "state"

  /// Attribute on every dataset: zlib's CRC-32 of its little-endian bytes in row-major order.
  public static let checksumAttribute = "crc32"

  /// The dataset path of model parameter `name`, e.g. `model/transformer.wte.weight`.
  public static func modelTensor(_ name: String) -> String {
    "\(modelGroup)/\(name)"
  }

  /// The dataset path of optimizer state `kind` (e.g. `exp_avg`) for parameter `name`.
  public static func optimizerTensor(kind: String, name: String) -> String {
    "\(optimizerGroup)/\(kind)/\(name)"
  }

  /// `step_%08d.h5`: the final file name of the checkpoint after `step` optimizer steps.
  public static func fileName(step: Int) -> String {
    "step_\(zeroPadded(step)).h5"
  }

  /// `.step_%08d.h5.tmp-<pid>`: where a checkpoint is written before it is renamed. The dot
  /// hides it from `ls` and from the `step_*.h5` pattern.
  public static func temporaryFileName(step: Int, processID: Int32) -> String {
    ".\(fileName(step: step)).tmp-\(processID)"
  }

  /// The step of a final checkpoint file name (`step_00000100.h5` → 100), nil for other names.
  public static func step(fromFileName name: String) -> Int? {
    guard name.hasPrefix("step_"), name.hasSuffix(".h5") else { return nil }
    let digits = name.dropFirst("step_".count).dropLast(".h5".count)
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
      return nil
    }
    return Int(digits)
  }

  /// The process id of a temporary checkpoint file name, nil for other names.
  static func processID(fromTemporaryFileName name: String) -> Int32? {
    guard name.hasPrefix(".step_"), let marker = name.range(of: ".h5.tmp-") else { return nil }
    return Int32(name[marker.upperBound...])
  }

  private static func zeroPadded(_ value: Int) -> String {
    let digits = String(value)
    return digits.count >= 8 ? digits : String(repeating: "0", count: 8 - digits.count) + digits
  }
}
