import Foundation

/// Double-precision finite differences and error measures shared by the kernel tests.
///
/// Gradient checks follow one recipe: the float32 kernel's analytic gradient is compared with
/// central differences of a double-precision re-implementation of the forward pass, evaluated
/// at the very same (float-representable) inputs. With step h = 1e-5 on O(1) inputs the
/// difference quotient's truncation error is O(h²·f‴) ≈ 1e-10 and its rounding error
/// O(ε_double / h) ≈ 1e-11, so the reference is exact for our purposes and the measured error
/// is the kernel's own float32 rounding (a few ulp of ~1e-7, times √(reduction length)).
/// Errors are reported relative to the largest reference magnitude (‖a − r‖∞ / ‖r‖∞), which is
/// stable when individual gradient entries are near zero.

/// Central-difference gradient of `f` at `x`.
func numericalGradient(at x: [Double], step: Double = 1e-5, of f: ([Double]) -> Double) -> [Double] {
  var point = x
  var gradient = [Double](repeating: 0, count: x.count)
  for i in x.indices {
    let saved = point[i]
    point[i] = saved + step
    let plus = f(point)
    point[i] = saved - step
    let minus = f(point)
    point[i] = saved
    gradient[i] = (plus - minus) / (2 * step)
  }
  return gradient
}

/// Σ wᵢ·yᵢ: the scalar objective whose gradient with respect to y is w (the upstream `dout`).
func weightedSum(_ y: [Double], _ w: [Float]) -> Double {
  precondition(y.count == w.count, "objective weights do not match the output")
  var total = 0.0
  for i in y.indices { total += y[i] * Double(w[i]) }
  return total
}

/// Maximum absolute error and the reference scale it is measured against.
struct ErrorMeasure: CustomStringConvertible {
  var maxAbsolute: Double
  var scale: Double

  /// ‖actual − expected‖∞ / ‖expected‖∞ (absolute when the reference is all zero).
  var relative: Double { scale > 0 ? maxAbsolute / scale : maxAbsolute }

  var description: String {
    "max |err| \(formatted(maxAbsolute)), ‖ref‖∞ \(formatted(scale)), rel \(formatted(relative))"
  }
}

/// Compares float results with a double reference. NaN anywhere counts as an infinite error.
func measureError(_ actual: [Float], _ expected: [Double]) -> ErrorMeasure {
  precondition(actual.count == expected.count, "size mismatch \(actual.count) vs \(expected.count)")
  var measure = ErrorMeasure(maxAbsolute: 0, scale: 0)
  for i in actual.indices {
    let difference = abs(Double(actual[i]) - expected[i])
    measure.maxAbsolute = difference.isNaN ? .infinity : max(measure.maxAbsolute, difference)
    measure.scale = max(measure.scale, abs(expected[i]))
  }
  return measure
}

/// The worst row of a row-major matrix, each row measured against its own scale (for outputs
/// whose rows differ in magnitude by orders, e.g. LayerNorm of a narrow row).
func measureErrorByRow(_ actual: [Float], _ expected: [Double], rowLength: Int) -> ErrorMeasure {
  stride(from: 0, to: actual.count, by: rowLength).map { start in
    measureError(Array(actual[start..<(start + rowLength)]), Array(expected[start..<(start + rowLength)]))
  }.max { $0.relative < $1.relative } ?? ErrorMeasure(maxAbsolute: 0, scale: 0)
}

/// Float-to-float comparison (sharded versus unsharded kernels).
func measureError(_ actual: [Float], _ expected: [Float]) -> ErrorMeasure {
  measureError(actual, expected.map(Double.init))
}

/// Element-wise difference a − b (to isolate what an accumulating kernel added).
func difference(_ a: [Float], _ b: [Float]) -> [Float] {
  zip(a, b).map { $0 - $1 }
}

/// Records a measured error in the test log, so the figures can be read off a run.
func report(_ what: String, _ measure: ErrorMeasure) {
  print("[KernelsTests] \(what): \(measure)")
}

func formatted(_ x: Double) -> String {
  x == 0 ? "0" : String(format: "%.2e", x)
}
