import Foundation
import GPT
import SwiftletCore

/// A Hugging Face `config.json` of a `GPT2LMHeadModel` or `OPTForCausalLM`, as the model shape
/// Swiftlet computes with. The properties are the hub's snake_case keys in camelCase (`n_embd` is
/// `nEmbd`), decoded with `convertFromSnakeCase`.
///
/// Anything Swiftlet would compute differently is refused rather than silently approximated:
/// another architecture, an activation other than tanh-GELU (GPT-2) or ReLU (OPT), a LayerNorm
/// epsilon other than 1e-5, untied embeddings, GPT-2's attention-scaling variants, OPT without
/// biases or LayerNorm affine parameters.
struct HuggingFaceModelConfig: Decodable {
  var architectures: [String]?
  var modelType: String?
  // GPT-2
  var nLayer: Int?
  var nHead: Int?
  var nEmbd: Int?
  var nPositions: Int?
  var nInner: Int?
  var layerNormEpsilon: Double?
  var scaleAttnByInverseLayerIdx: Bool?
  var scaleAttnWeights: Bool?
  // OPT
  var numHiddenLayers: Int?
  var numAttentionHeads: Int?
  var hiddenSize: Int?
  var ffnDim: Int?
  var maxPositionEmbeddings: Int?
  var wordEmbedProjDim: Int?
  var doLayerNormBefore: Bool?
  var enableBias: Bool?
  var layerNormElementwiseAffine: Bool?
  // Both
  var vocabSize: Int?
  var activationFunction: String?
  var tieWordEmbeddings: Bool?
  var torchDtype: String?

  /// The Hugging Face class the folder holds: the first of `architectures`, else from `model_type`.
  var architecture: String {
    if let first = architectures?.first { return first }
    switch modelType {
    case "gpt2": return "GPT2LMHeadModel"
    case "opt": return "OPTForCausalLM"
    default: return modelType.map { "model_type '\($0)'" } ?? "(none given)"
    }
  }

  /// Reads and checks `folder/config.json`.
  static func load(folder: String) throws -> HuggingFaceModelConfig {
    let path = folder + "/config.json"
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SwiftletError("\(folder) has no config.json: not a Hugging Face model folder")
    }
    do {
      let decoder = JSONDecoder()
      decoder.keyDecodingStrategy = .convertFromSnakeCase
      return try decoder.decode(HuggingFaceModelConfig.self, from: data)
    } catch DecodingError.typeMismatch(let type, let context) {
      // The key as config.json spells it: the decoder's path holds the property's name.
      let key = context.codingPath.map(\.stringValue).joined(separator: ".")
        .replacingOccurrences(of: "([A-Z])", with: "_$1", options: .regularExpression).lowercased()
      throw SwiftletError("\(path) is not a valid model config: \(key) is not of type \(type)")
    } catch {
      throw SwiftletError("\(path) is not a valid model config: \(String(describing: error).prefix(200))")
    }
  }

  /// The model shape, or a one-line error naming what Swiftlet cannot compute.
  func modelShape(source: String) throws -> GPTConfig {
    func require<T>(_ value: T?, _ key: String) throws -> T {
      guard let value else { throw SwiftletError("\(source)/config.json lacks '\(key)'") }
      return value
    }
    func refuse(_ what: String) -> SwiftletError {
      SwiftletError("\(source)/config.json: \(what), which swiftlet does not compute")
    }
    if tieWordEmbeddings == false { throw refuse("tie_word_embeddings is false (a separate LM head)") }
    let config: GPTConfig
    switch architecture {
    case "GPT2LMHeadModel":
      let c = try require(nEmbd, "n_embd")
      if let act = activationFunction, !["gelu_new", "gelu_pytorch_tanh"].contains(act) {
        throw refuse("activation_function is '\(act)' (swiftlet's GPT-2 uses tanh GELU, gelu_new)")
      }
      if let eps = layerNormEpsilon, abs(eps - 1e-5) > 1e-12 { throw refuse("layer_norm_epsilon is \(eps), not 1e-5") }
      if scaleAttnByInverseLayerIdx == true { throw refuse("scale_attn_by_inverse_layer_idx is true") }
      if scaleAttnWeights == false { throw refuse("scale_attn_weights is false") }
      config = GPTConfig(
        family: .gpt2, nLayer: try require(nLayer, "n_layer"), nHead: try require(nHead, "n_head"), dModel: c,
        nCtx: try require(nPositions, "n_positions"), vocabSize: try require(vocabSize, "vocab_size"),
        ffnDim: nInner ?? 4 * c)
    case "OPTForCausalLM":
      let c = try require(hiddenSize, "hidden_size")
      if let act = activationFunction, act != "relu" { throw refuse("activation_function is '\(act)', not relu") }
      if enableBias == false { throw refuse("enable_bias is false") }
      if layerNormElementwiseAffine == false { throw refuse("layer_norm_elementwise_affine is false") }
      let projection = wordEmbedProjDim ?? c
      config = GPTConfig(
        family: .opt, nLayer: try require(numHiddenLayers, "num_hidden_layers"),
        nHead: try require(numAttentionHeads, "num_attention_heads"), dModel: c,
        nCtx: try require(maxPositionEmbeddings, "max_position_embeddings"),
        vocabSize: try require(vocabSize, "vocab_size"), ffnDim: try require(ffnDim, "ffn_dim"),
        layerNorm: doLayerNormBefore == false ? .post : .pre, wordEmbedProjDim: projection == c ? nil : projection)
    default:
      throw SwiftletError(
        "\(source) holds a \(architecture); swiftlet imports GPT2LMHeadModel and OPTForCausalLM only")
    }
    do {
      try config.validate()
    } catch let error as SwiftletError {
      throw SwiftletError("\(source)/config.json: \(error.message)")
    }
    return config
  }
}
