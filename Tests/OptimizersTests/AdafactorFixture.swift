import Foundation
import Optimizers

/// The Hugging Face Adafactor reference written by Tests/Reference/make_adafactor_reference.py.
struct AdafactorFixture {
  struct Tensor {
    let name: String
    let shape: [Int]
    let decays: Bool
    let initial: [Float]
  }

  struct Run {
    /// nil: no first moment.
    let beta1: Double?
    /// Per step (0-based), the names of the tensors whose update RMS exceeded the threshold.
    let clipped: [[String]]
    /// Per step, tensor name → parameters after that step.
    let paramsAfter: [[String: [Float]]]
    /// Kind → tensor name → (shape, values) after the last step.
    let finalState: [String: [String: (shape: [Int], values: [Float])]]
  }

  let hyperparameters: [String: Any]
  let tensors: [Tensor]
  /// Per step, tensor name → gradient.
  let grads: [[String: [Float]]]
  let runs: [Run]

  init() throws {
    let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/adafactor_reference.json")
    let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    hyperparameters = root["hyperparameters"] as! [String: Any]
    tensors = (root["tensors"] as! [[String: Any]]).map {
      Tensor(
        name: $0["name"] as! String, shape: $0["shape"] as! [Int], decays: $0["decays"] as! Bool,
        initial: floats($0["initial"]))
    }
    grads = (root["grads"] as! [[String: Any]]).map { $0.mapValues(floats) }
    runs = (root["runs"] as! [[String: Any]]).map { run in
      let state = (run["final_state"] as! [String: [String: [String: Any]]]).mapValues { byName in
        byName.mapValues { (shape: $0["shape"] as! [Int], values: floats($0["values"])) }
      }
      return Run(
        beta1: (run["beta1"] as? NSNumber)?.doubleValue, clipped: run["clipped"] as! [[String]],
        paramsAfter: (run["params_after"] as! [[String: Any]]).map { $0.mapValues(floats) },
        finalState: state)
    }
  }

  func double(_ key: String) -> Double { (hyperparameters[key] as! NSNumber).doubleValue }
}

/// JSON numbers are float32 values printed to round-trip through a double: converting the
/// double to Float recovers them exactly.
private func floats(_ value: Any?) -> [Float] {
  (value as! [NSNumber]).map { Float($0.doubleValue) }
}
