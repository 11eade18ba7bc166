/// Vectorised transcendental functions for the element-wise kernels.
///
/// `exp` follows the classic Cephes single-precision scheme: range reduction `x = n·ln2 + r`
/// with a two-part ln2, a degree-6 polynomial for `e^r` on |r| ≤ ln2/2, and `2^n` built in the
/// exponent bits. Relative error is within ~2 ulp over the clamped range, which keeps every
/// kernel within the 1e-6 tolerance of PyTorch's reference.
public enum FastMath {
  public typealias Vector = SIMD8<Float>

  @inline(__always)
  public static func exp(_ x: Vector) -> Vector {
    var clamped = x
    clamped.replace(with: -87.3, where: x .< -87.3)
    clamped.replace(with: 88.3, where: x .> 88.3)
    // Round to the nearest integer by adding and subtracting 1.5·2²³ (inlined, unlike rint).
    let n = (clamped * 1.442_695_04 + 12_582_912) - 12_582_912
    var r = clamped - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p = Vector(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * r * r + r + 1
    // 2ⁿ from the exponent bits. n is a whole number in [−126, 128]; adding 1.5·2²³ puts it in
    // the low mantissa bits, which is much faster than a generic SIMD float→int conversion.
    let shifted = unsafeBitCast(n + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
    var result = y * unsafeBitCast((shifted &+ 127) &<< 23, to: Vector.self)
    // Underflow to exactly 0 (e^−∞ = 0), and let NaN through so divergence stays visible.
    result.replace(with: 0, where: x .< -87.3)
    result.replace(with: x, where: x .!= x)
    return result
  }

  /// `tanh(x) = 1 − 2 / (e^{2x} + 1)`, saturating cleanly at ±1. Accurate to ~2e-7 absolute;
  /// relative accuracy is lost for |x| ≲ 1e-4 (fine for GELU, its only user).
  @inline(__always)
  public static func tanh(_ x: Vector) -> Vector {
    1 - 2 / (exp(2 * x) + 1)
  }

  /// Scalar `exp` with the same accuracy (for loop tails).
  @inline(__always)
  public static func exp(_ x: Float) -> Float {
    exp(Vector(repeating: x))[0]
  }

  /// Scalar `tanh` with the same accuracy (for loop tails).
  @inline(__always)
  public static func tanh(_ x: Float) -> Float {
    tanh(Vector(repeating: x))[0]
  }
}
