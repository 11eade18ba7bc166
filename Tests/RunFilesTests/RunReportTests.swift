import Foundation
import RunFiles
import Testing

/// `report.json` and `ledger.jsonl`, written and read by the same types.
@Suite struct RunReportTests {
  private func segment(ended: String, resumeAt: String? = nil) -> JobSegment {
    var segment = JobSegment()
    segment.jobID = "local-host-20250101T000000Z-42"
    segment.hosts = ["node0", "node1"]
    segment.ranks = 4
    segment.start = "2025-01-01T00:00:00Z"
    segment.end = "2025-01-01T01:00:00Z"
    segment.lastStep = 10
    segment.steps = 10
    segment.tokens = 40_960
    segment.energyKWh = 0.5
    segment.co2eKg = 0.2
    segment.meanIntensity = 400
    segment.wallSeconds = 3600
    segment.ended = ended
    segment.resumeAt = resumeAt
    return segment
  }

  @Test func theTrainingLoopsReportReadsBackEqual() throws {
    var report = RunReport()
    report.model = "gpt2-124M"
    report.params = 124_439_808
    report.costUSD = 1.25
    report.skippedNonfiniteSteps = 0
    var blas = BLASReport()
    blas.library = "OpenBLAS"
    blas.version = "0.3.21"
    blas.config = "OpenBLAS 0.3.21 DYNAMIC_ARCH"
    blas.core = "Haswell"
    blas.forced = true
    blas.chosenBy = "user"
    blas.verified = true
    report.blas = blas
    report.peakCalibrated = 8.8e10
    report.peakRaised = false
    report.restarts = 1
    report.intensitySeries = "/data/grid.csv"
    report.segments = [segment(ended: "paused", resumeAt: "2025-01-01T06:00:00Z"), segment(ended: "finished")]
    let data = try RunFileJSON.document(report)
    #expect(try JSONDecoder().decode(RunReport.self, from: data) == report)
    let text = String(decoding: data, as: UTF8.self)
    // Contract and docs names; a forced kernel has no detected one, written as null.
    for key in [
      #""model_flops" : "#, #""memory_per_device_bytes" : "#, #""tp" : "#, #""dp" : "#, #""peak_calibrated" : "#,
      #""skipped_nonfinite_steps" : "#, #""core_detected" : null"#, #""chosen_by" : "user""#, #""resume_at" : "#,
      #""remaining_wall_hours" : "#, #""car_km" : "#,
    ] {
      #expect(text.contains(key), "\(key)")
    }
    #expect(!text.contains("rejected"))
  }

  @Test func aReportMadeOutsideTheLoopWritesNoneOfTheLoopsFields() throws {
    let text = String(decoding: try RunFileJSON.document(RunReport()), as: UTF8.self)
    for key in [
      "blas", "restarts", "segments", "peak_raised", "intensity_series", "cost_usd", "skipped_nonfinite_steps",
    ] {
      #expect(!text.contains("\"\(key)\""), "\(key)")
    }
    #expect(try JSONDecoder().decode(RunReport.self, from: Data(text.utf8)) == RunReport())
  }

  @Test func aLedgerLineIsOneCompactObjectWithSortedKeys() throws {
    let line = String(
      decoding: try RunFileJSON.line(segment(ended: "paused", resumeAt: "2025-01-01T06:00:00Z")), as: UTF8.self)
    #expect(line.hasPrefix(#"{"co2e_kg":0.2,"end":"2025-01-01T01:00:00Z","ended":"paused","energy_kwh":0.5,"#))
    // launch/slurm.sbatch finds resume_at with sed in exactly this form.
    #expect(line.contains(#""resume_at":"2025-01-01T06:00:00Z""#))
    #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
    #expect(RunFileJSON.records(JobSegment.self, in: Data((line + line).utf8)).count == 2)
  }
}
