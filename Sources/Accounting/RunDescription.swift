import GPT

/// What a run is, for its report: the configuration facts the ledger does not carry.
public struct RunDescription: Sendable {
  /// Preset name or a description of the shape.
  public var modelName: String
  public var model: GPTConfig
  public var seqLen: Int
  /// Global tokens per optimizer step (`batch_size × seq_len`).
  public var tokensPerStep: Int
  public var maxSteps: Int
  /// Tokens of the full run; nil or 0 means `maxSteps × tokensPerStep`.
  public var targetTokens: Double?
  /// World size (ranks = devices).
  public var devices: Int
  public var tensorParallel: Int
  /// Pipeline stages.
  public var pipelineParallel: Int
  /// Micro-steps per optimizer step (the pipeline's micro-batches).
  public var microbatches: Int
  /// Sequences per rank per micro-step.
  public var microBatch: Int
  public var optimizer: MemoryEstimate.Optimizer
  /// Activation recomputation (`train.recompute`).
  public var recompute: Bool
  public var hardware: HardwareProfile
  public var grid: GridIntensity
  public var pue: Double
  public var pricePerDeviceHour: Double?
  public var energyMethod: EnergyMeter.Method

  public init(
    modelName: String, model: GPTConfig, seqLen: Int, tokensPerStep: Int, maxSteps: Int,
    targetTokens: Double? = nil, devices: Int, tensorParallel: Int = 1, microBatch: Int,
    optimizer: MemoryEstimate.Optimizer = .adamw, hardware: HardwareProfile, grid: GridIntensity,
    pue: Double, pricePerDeviceHour: Double? = nil, energyMethod: EnergyMeter.Method,
    recompute: Bool = false, pipelineParallel: Int = 1, microbatches: Int = 1
  ) {
    self.modelName = modelName
    self.model = model
    self.seqLen = seqLen
    self.tokensPerStep = tokensPerStep
    self.maxSteps = maxSteps
    self.targetTokens = targetTokens
    self.devices = devices
    self.tensorParallel = tensorParallel
    self.pipelineParallel = pipelineParallel
    self.microbatches = microbatches
    self.microBatch = microBatch
    self.optimizer = optimizer
    self.recompute = recompute
    self.hardware = hardware
    self.grid = grid
    self.pue = pue
    self.pricePerDeviceHour = pricePerDeviceHour
    self.energyMethod = energyMethod
  }

  /// Tokens of the configured full run.
  public var fullRunTokens: Double {
    if let targetTokens, targetTokens > 0 { return targetTokens }
    return Double(maxSteps) * Double(tokensPerStep)
  }
}
