import Checkpointing
import Foundation
import HDF5Bindings
import Testing

@Suite("Checkpoint summary (swiftlet inspect)")
struct CheckpointSummaryTests {
  @Test func summaryReportsHeaderModelLedgerAndTensors() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(
      directory: folder.path, step: 9, ledger: ["flops": 2e15, "energy_kwh": 0.5])
    let summary = try CheckpointSummary(path: folder.file("step_00000009.h5"), verify: false)
    #expect(summary.step == 9)
    #expect(summary.tokensSeen == 9 * 512)
    #expect(summary.model == tinyConfig)
    #expect(summary.modelParameterCount == tinyConfig.parameterCount)
    #expect(summary.checks == nil)
    let text = summary.text()
    #expect(text.contains("n_layer 2, n_head 4, d_model 32"))
    #expect(text.contains("energy_kwh 0.5, flops 2e+15"))
    #expect(text.contains("checksums   not checked"))
    // Numeric order of layers: h.0 … h.1 before ln_f.
    let h1 = try #require(text.range(of: "transformer.h.1.ln_1.weight"))
    let lnf = try #require(text.range(of: "transformer.ln_f.weight"))
    #expect(h1.lowerBound < lnf.lowerBound)

    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])
    #expect(json["step"] as? Int == 9)
    #expect(json["format_version"] as? Int == 1)
    #expect((json["config"] as? [String: Any])?["model"] != nil)
    #expect((json["accounting"] as? [String: Double])?["flops"] == 2e15)
    let tensors = try #require(json["tensors"] as? [[String: Any]])
    #expect(tensors.count == 3 * 28)
    #expect(tensors.allSatisfy { $0["dtype"] as? String == "float32" && $0["checksum_ok"] == nil })
  }

  @Test func verifiedSummaryMarksTheDamagedTensor() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 9)
    let path = folder.file("step_00000009.h5")
    let target = "optimizer/exp_avg_sq/transformer.h.0.mlp.c_fc.weight"
    let offset = try #require(try HDF5File.open(path: path).openDataset(target).fileOffset)
    try flipByte(at: offset, in: path)
    let summary = try CheckpointSummary(path: path, verify: true)
    #expect(summary.failures.map(\.path) == [target])
    #expect(summary.text().contains("1 of 84 datasets FAILED"))
    // The damaged optimizer tensor is listed even though optimizer tensors are summarised.
    #expect(summary.text().contains(target))
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])
    let bad = (json["tensors"] as? [[String: Any]])?.filter { $0["checksum_ok"] as? Bool == false }
    #expect(bad?.map { $0["name"] as? String } == [target])
  }
}
