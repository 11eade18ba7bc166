import Foundation

/// How a `report.json` field is labelled and formatted.
///
/// The accounting module writes `report.json` (docs/accounting.md) and may add fields,
/// so nothing here is required: known names get a label, and units are recognised from the
/// run files' naming habit (`_kwh`, `_kg`, `_hours`, `_bytes`, `_usd`, `_flops`); anything
/// else is shown as written.
enum ReportFields {
  /// Top-level keys shown first, in this order, when present.
  static let preferredOrder = [
    "model", "params", "tokens", "flops", "model_flops", "energy_kwh", "co2e_kg", "wall_hours",
    "mfu",
  ]

  /// Human labels of the keys this page knows.
  static let labels: [String: String] = [
    "model": "Model",
    "params": "Parameters (N)",
    "tokens": "Tokens (D)",
    "flops": "Training FLOPs, 6·N·D",
    "model_flops": "Model FLOPs (PaLM, with attention)",
    "hardware_flops": "FLOPs executed",
    "energy_kwh": "Energy",
    "co2e_kg": "CO2e",
    "wall_hours": "Wall-clock time",
    "remaining_wall_hours": "Wall-clock time still to go",
    "device_hours": "Device-hours",
    "mfu": "Model FLOPs utilisation (MFU)",
    "peak": "Peak FLOP/s per device",
    "tokens_per_second": "Throughput",
    "memory_per_device_bytes": "Memory per device (estimate)",
    "cost_usd": "Cost",
    "devices": "Devices",
    "tp": "Tensor-parallel size",
    "dp": "Data-parallel size",
    "hardware": "Hardware",
    "steps": "Steps",
    "energy_method": "Energy measured by",
    "pue": "Power usage effectiveness (PUE)",
    "grid_intensity": "Grid carbon intensity",
    "region": "Grid region",
    "basis": "Basis",
    "projection": "Projection to the full run",
    "lost": "Work lost to crashes (redone after resumes)",
    "equivalents": "CO2e equivalents",
    "segments": "Launches of the job (ledger.jsonl)",
    "intensity_series": "Grid intensity series",
    "mean_intensity": "Mean grid intensity (CO2e / energy)",
    "resume_at": "Paused until",
    "job_id": "Job",
  ]

  /// `number` with the unit its key implies (`1.23 kWh`, `42.1 %`, `2 h 05 min`).
  static func format(key: String, number: Double) -> String {
    let si = NumberFormatting.si(number)
    func ends(_ suffix: String) -> Bool { key.hasSuffix(suffix) }
    if key == "mfu" || ends("_mfu") { return NumberFormatting.si(number * 100) + " %" }
    if key == "peak" { return si + " FLOP/s" }
    if key == "grid_intensity" || key == "mean_intensity" { return si + " g/kWh" }
    if key == "flops" || ends("_flops") { return si + " FLOP" }
    if ends("_kwh") { return si + " kWh" }
    if ends("_kg") { return si + " kg" }
    if ends("_hours") { return NumberFormatting.duration(hours: number) }
    if ends("_bytes") { return NumberFormatting.si(number / 1_073_741_824) + " GiB" }
    if ends("_usd") { return "$" + String(format: "%.2f", number) }
    if ends("_per_second") || ends("_per_s") { return si + "/s" }
    return si
  }
}
