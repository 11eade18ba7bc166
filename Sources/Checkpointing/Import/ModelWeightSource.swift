import Foundation
import GPT
import SwiftletCore

/// Released weights in another program's format, read tensor by tensor under Swiftlet's
/// checkpoint names (docs/fine-tuning.md): a Hugging Face folder or an llm.c checkpoint file.
public protocol ModelWeightSource: AnyObject {
  /// The model shape the weights describe.
  var config: GPTConfig { get }
  /// Where the weights came from, for the checkpoint's `imported_from` attribute and `inspect`,
  /// e.g. `Hugging Face GPT2LMHeadModel folder /data/gpt2 (float16)`.
  var origin: String { get }
  /// Reads the tensor Swiftlet calls `name` (docs/checkpoint-format.md) as float32 into `buffer`,
  /// whose size is the element count of `shape`; a missing or mis-shaped tensor is an error.
  func read(_ name: String, shape: [Int], into buffer: UnsafeMutableBufferPointer<Float>) throws
  /// Checks that tensor `name` exists with `shape`, without reading it (so an import can fail
  /// before it writes anything).
  func check(_ name: String, shape: [Int]) throws
}
