import Kernels
import RunFiles

extension BLASReport {
  /// The `blas` object of `report.json` for `status`, as start-up verification left it.
  public init(_ status: BLASStatus, verified: Bool) {
    self.init(
      library: status.library, version: status.version, config: status.config, core: status.core,
      coreDetected: status.coreDetected, forced: status.forced, chosenBy: status.chosenBy, verified: verified,
      rejected: status.rejected)
  }
}
