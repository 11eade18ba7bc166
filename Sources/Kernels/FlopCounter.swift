/// Counts the floating-point operations the kernels execute on this rank.
///
/// GEMMs count `2·M·N·K`; element-wise kernels count their arithmetic roughly (one per add or
/// multiply, a handful per transcendental). The accounting module compares this executed
/// count with the analytic model FLOPs (PaLM Appendix B).
public enum FlopCounter {
  nonisolated(unsafe) public private(set) static var matmul: Double = 0
  nonisolated(unsafe) public private(set) static var elementwise: Double = 0

  @inline(__always)
  public static func addMatmul(_ flops: Double) { matmul += flops }

  @inline(__always)
  public static func addElementwise(_ flops: Double) { elementwise += flops }

  public static func reset() {
    matmul = 0
    elementwise = 0
  }
}
