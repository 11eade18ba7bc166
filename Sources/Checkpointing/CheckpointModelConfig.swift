import Foundation
import GPT
import SwiftletCore

/// Reads the model shape out of a checkpoint's `config` text: the `model` object
/// (`StoredModelConfig`) of the stored run configuration.
public enum CheckpointModelConfig {
  /// The part of a stored configuration this reader needs.
  private struct Stored: Decodable {
    var model: StoredModelConfig?
  }

  /// The model shape in `configText`, or an error saying what is missing.
  public static func parse(_ configText: String) throws -> GPTConfig {
    let stored: Stored
    do {
      stored = try JSONDecoder().decode(Stored.self, from: Data(configText.utf8))
    } catch DecodingError.typeMismatch(_, let context) where context.codingPath.count == 1 {
      throw SwiftletError("the checkpoint's config has no 'model' object")
    } catch DecodingError.typeMismatch(_, let context) where context.codingPath.count > 1 {
      let key = context.codingPath.map(\.stringValue).joined(separator: ".")
      throw SwiftletError("the checkpoint's config.\(key) has the wrong type, so its model shape is unknown")
    } catch {
      throw SwiftletError("the checkpoint's config is not JSON, so its model shape is unknown")
    }
    guard let model = stored.model else {
      throw SwiftletError("the checkpoint's config has no 'model' object")
    }
    return try model.resolved()
  }
}
