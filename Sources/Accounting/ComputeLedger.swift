import SwiftletCore

/// The cumulative cost of a training job, carried in every checkpoint (docs/checkpoint-format.md,
/// `/accounting` attributes) so that a resumed job keeps counting where it left off.
///
/// All totals are what the job *spent*, resumes and crashes included: steps computed after the
/// last checkpoint of a crashed run and redone after the resume are counted in the totals and,
/// separately, in the `lost*` fields (the work lost to crashes is its own line).
/// Useful work is total − lost.
public struct ComputeLedger: Codable, Equatable, Sendable {
  /// PaLM model FLOPs (`ModelFlops`), summed over the whole job.
  public var flops: Double = 0
  /// GEMM FLOPs the kernels executed (`KernelFlops`), all ranks.
  public var hardwareFlops: Double = 0
  /// Tokens processed (global).
  public var tokens: Double = 0
  /// Facility energy (× PUE), all ranks and nodes.
  public var energyKWh: Double = 0
  public var co2eKg: Double = 0
  /// Wall-clock seconds of the training steps.
  public var wallSeconds: Double = 0
  /// Wall seconds × ranks: device-seconds.
  public var rankSeconds: Double = 0
  /// Optimizer steps computed.
  public var steps: Int = 0
  /// Of the above, what was redone after a crash-resume.
  public var lostSteps: Int = 0
  public var lostTokens: Double = 0
  public var lostFlops: Double = 0
  public var lostEnergyKWh: Double = 0
  public var lostCO2eKg: Double = 0
  public var lostWallSeconds: Double = 0

  public init() {}

  enum CodingKeys: String, CodingKey {
    case flops
    case hardwareFlops = "hardware_flops"
    case tokens
    case energyKWh = "energy_kwh"
    case co2eKg = "co2e_kg"
    case wallSeconds = "wall_seconds"
    case rankSeconds = "rank_seconds"
    case steps
    case lostSteps = "lost_steps"
    case lostTokens = "lost_tokens"
    case lostFlops = "lost_flops"
    case lostEnergyKWh = "lost_energy_kwh"
    case lostCO2eKg = "lost_co2e_kg"
    case lostWallSeconds = "lost_wall_seconds"
  }

  /// Adds one optimizer step.
  ///
  /// - Parameters:
  ///   - modelFlops: `ModelFlops.perStep(config, tokensPerStep: globalTokens, seqLen:)`.
  ///   - hardwareFlops: executed GEMM FLOPs of all ranks (`KernelFlops(...).total`, or the
  ///     kernels' counters summed over ranks).
  ///   - tokens: global tokens of the step.
  ///   - energyKWh: facility energy of the step summed over all ranks (`EnergyMeter.takeDelta`).
  ///   - gridIntensity: converts the energy to CO2e.
  ///   - wallSeconds: the step's wall time.
  ///   - ranks: the world size (device-seconds = wall × ranks).
  public mutating func addStep(
    modelFlops: Double, hardwareFlops: Double, tokens: Int, energyKWh: Double,
    gridIntensity: GridIntensity, wallSeconds: Double, ranks: Int
  ) {
    flops += modelFlops
    self.hardwareFlops += hardwareFlops
    self.tokens += Double(tokens)
    self.energyKWh += energyKWh
    co2eKg += gridIntensity.co2eKg(kWh: energyKWh)
    self.wallSeconds += wallSeconds
    rankSeconds += wallSeconds * Double(ranks)
    steps += 1
  }

  /// Work done after the checkpoint a job resumed from and before it crashed: spent, then redone.
  public struct LostWork: Equatable, Sendable {
    public var steps = 0
    public var tokens = 0.0
    public var flops = 0.0
    public var energyKWh = 0.0
    public var co2eKg = 0.0
    public var wallSeconds = 0.0

    /// No lost work.
    public static let none = LostWork()

    /// The difference between the last `train` line the crashed run logged (cumulative
    /// `tokens`, `flops`, `energy_kwh`, `co2e_kg` of docs/accounting.md, its `step`, and the sum
    /// of `step_ms` after the checkpoint) and the ledger of the checkpoint resumed from.
    /// Negative differences (nothing logged after the checkpoint) become zero.
    public static func since(
      checkpoint: ComputeLedger, checkpointStep: Int, loggedStep: Int, loggedTokens: Double,
      loggedFlops: Double, loggedEnergyKWh: Double, loggedCO2eKg: Double,
      loggedWallSecondsAfterCheckpoint: Double
    ) -> LostWork {
      LostWork(
        steps: max(0, loggedStep - checkpointStep), tokens: max(0, loggedTokens - checkpoint.tokens),
        flops: max(0, loggedFlops - checkpoint.flops),
        energyKWh: max(0, loggedEnergyKWh - checkpoint.energyKWh),
        co2eKg: max(0, loggedCO2eKg - checkpoint.co2eKg),
        wallSeconds: max(0, loggedWallSecondsAfterCheckpoint))
    }
  }

  /// Books work that a crash threw away: into the totals (it was spent) and the `lost*` lines.
  /// Hardware FLOPs and rank-seconds scale with the lost model FLOPs and wall time.
  public mutating func addLostWork(_ lost: LostWork, ranks: Int) {
    let hardwarePerModelFlop = flops > 0 ? hardwareFlops / flops : 0
    steps += lost.steps
    tokens += lost.tokens
    flops += lost.flops
    hardwareFlops += lost.flops * hardwarePerModelFlop
    energyKWh += lost.energyKWh
    co2eKg += lost.co2eKg
    wallSeconds += lost.wallSeconds
    rankSeconds += lost.wallSeconds * Double(ranks)
    lostSteps += lost.steps
    lostTokens += lost.tokens
    lostFlops += lost.flops
    lostEnergyKWh += lost.energyKWh
    lostCO2eKg += lost.co2eKg
    lostWallSeconds += lost.wallSeconds
  }

  // MARK: - Checkpoint attributes

  /// The ledger as `name → value` attributes for the checkpoint's `/accounting` group; the
  /// keys are the snake_case names of `report.json`.
  public var attributes: [String: Double] {
    [
      "flops": flops, "hardware_flops": hardwareFlops, "tokens": tokens, "energy_kwh": energyKWh,
      "co2e_kg": co2eKg, "wall_seconds": wallSeconds, "rank_seconds": rankSeconds,
      "steps": Double(steps), "lost_steps": Double(lostSteps), "lost_tokens": lostTokens,
      "lost_flops": lostFlops, "lost_energy_kwh": lostEnergyKWh, "lost_co2e_kg": lostCO2eKg,
      "lost_wall_seconds": lostWallSeconds,
    ]
  }

  /// Reads `attributes` back. Missing keys are zero (checkpoints written before a field existed);
  /// unknown keys are ignored; negative, non-finite or fractional step counts are errors.
  public init(attributes: [String: Double]) throws {
    func value(_ key: String) throws -> Double {
      let v = attributes[key] ?? 0
      guard v.isFinite, v >= 0 else {
        throw SwiftletError(
          "checkpoint accounting attribute '\(key)' must be a finite non-negative number, got \(v)")
      }
      return v
    }
    func count(_ key: String) throws -> Int {
      let v = try value(key)
      guard v == v.rounded(), v < 9e15 else {
        throw SwiftletError("checkpoint accounting attribute '\(key)' must be a whole number, got \(v)")
      }
      return Int(v)
    }
    flops = try value("flops")
    hardwareFlops = try value("hardware_flops")
    tokens = try value("tokens")
    energyKWh = try value("energy_kwh")
    co2eKg = try value("co2e_kg")
    wallSeconds = try value("wall_seconds")
    rankSeconds = try value("rank_seconds")
    steps = try count("steps")
    lostSteps = try count("lost_steps")
    lostTokens = try value("lost_tokens")
    lostFlops = try value("lost_flops")
    lostEnergyKWh = try value("lost_energy_kwh")
    lostCO2eKg = try value("lost_co2e_kg")
    lostWallSeconds = try value("lost_wall_seconds")
  }
}
