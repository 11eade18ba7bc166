import Foundation
import GPT

/// A PyTorch reference written by Tests/Reference/make_gpt2_reference.py (`gpt2_tiny_reference`)
/// or make_opt_reference.py (`opt_tiny_reference`, `opt350m_tiny_reference`).
struct ReferenceFixture {
  let manifest: [String: Any]
  let values: [Float]
  let tensors: [String: (shape: [Int], offset: Int, count: Int)]

  init(_ stem: String = "gpt2_tiny_reference") throws {
    let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    let json = try Data(contentsOf: directory.appendingPathComponent(stem + ".json"))
    manifest = try JSONSerialization.jsonObject(with: json) as! [String: Any]
    let raw = try Data(contentsOf: directory.appendingPathComponent(stem + ".f32"))
    values = raw.withUnsafeBytes { bytes in
      (0..<(raw.count / 4)).map {
        Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
      }
    }
    var tensors: [String: (shape: [Int], offset: Int, count: Int)] = [:]
    for entry in manifest["tensors"] as! [[String: Any]] {
      tensors[entry["name"] as! String] = (
        entry["shape"] as! [Int], entry["offset"] as! Int, entry["count"] as! Int
      )
    }
    self.tensors = tensors
  }

  func tensor(_ name: String) -> ArraySlice<Float> {
    let t = tensors[name]!
    return values[t.offset..<(t.offset + t.count)]
  }

  func section(_ key: String) -> [String: Any] { manifest[key] as! [String: Any] }

  func doubles(_ key: String) -> [Double] { (manifest[key] as! [NSNumber]).map(\.doubleValue) }

  var batch: (b: Int, t: Int, inputs: [Int32], targets: [Int32]) {
    let batch = section("batch")
    let inputs = (batch["inputs"] as! [[Int]]).flatMap { $0 }.map(Int32.init)
    let targets = (batch["targets"] as! [[Int]]).flatMap { $0 }.map(Int32.init)
    return (batch["B"] as! Int, batch["T"] as! Int, inputs, targets)
  }
}

/// Largest |a − b| and the largest |b|, for messages that say where a comparison broke.
func maxDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> (diff: Float, scale: Float)
where A.Element == Float, B.Element == Float {
  var diff: Float = 0
  var scale: Float = 0
  for (x, y) in zip(a, b) {
    diff = max(diff, abs(x - y))
    scale = max(scale, abs(y))
  }
  return (diff, scale)
}

/// Feeds each of the fixture's sequences to a `KVCacheDecoder` token by token and returns the
/// largest difference between its logits and the fixture's full-forward `logits`.
func kvCacheLogitsDifference(model: GPTModel, fixture: ReferenceFixture) throws -> Float {
  let batch = fixture.batch
  let expected = fixture.tensor("logits")
  let v = model.config.vocabSize
  let decoder = try KVCacheDecoder(model: model)
  var worst: Float = 0
  for row in 0..<batch.b {
    decoder.reset()
    for position in 0..<batch.t {
      try decoder.append(Int(batch.inputs[row * batch.t + position]))
      let start = expected.startIndex + (row * batch.t + position) * v
      let (diff, _) = maxDifference(
        UnsafeBufferPointer(start: decoder.logits.base, count: v), expected[start..<(start + v)])
      worst = max(worst, diff)
    }
  }
  return worst
}
