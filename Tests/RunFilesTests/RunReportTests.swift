import Foundation
import RunFiles
import Testing

/// `report.json` and `ledger.jsonl`, written and read by the same types.
@Suite struct RunReportTests {
  private func segment(ended: String, resumeAt: String? = nil) -> JobSegment {
    JobSegment(
      jobID: "local-host-20250101T000000Z-42", hosts: ["node0", "node1"], ranks: 4, start: "2025-01-01T00:00:00Z",
      end: "2025-01-01T01:00:00Z", firstStep: 0, lastStep: 10, steps: 10, tokens: 40_960, energyKWh: 0.5,
      co2eKg: 0.2, wallSeconds: 3600, lostSteps: 0, lostEnergyKWh: 0, lostCO2eKg: 0, ended: ended, resumeAt: resumeAt)
  }

  @Test func theTrainingLoopsReportReadsBackEqual() throws {
    var report = RunReport()
    report.model = "gpt2-124M"
    report.params = 124_439_808
    report.costUSD = 1.25
    report.skippedNonfiniteSteps = 0
    report.blas = BLASReport(
      library: "OpenBLAS", version: "0.3.21", config: "OpenBLAS 0.3.21 DYNAMIC_ARCH", core: "Haswell",
      coreDetected: nil, forced: true, chosenBy: "user", verified: true, rejected: nil)
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
