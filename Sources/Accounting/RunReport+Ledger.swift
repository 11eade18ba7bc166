import GPT
import RunFiles

extension RunReport {
  /// Builds the report from the job's ledger.
  ///
  /// - Parameter tokensPerSecond: steady-state throughput (e.g. the smoothed tok/s of the
  ///   progress line, step 1 left out); by default the ledger's average.
  public init(ledger: ComputeLedger, run: RunDescription, tokensPerSecond: Double? = nil) {
    self.init()
    let n = Double(run.model.parameterCount)
    let dp = max(1, run.devices / max(1, run.tensorParallel * run.pipelineParallel))
    model = run.modelName
    params = n
    tokens = ledger.tokens
    flops = ModelFlops.sixND(parameters: n, tokens: ledger.tokens)
    modelFlops = ledger.flops
    hardwareFlops = ledger.hardwareFlops
    deviceHours = ledger.rankSeconds / 3600
    wallHours = ledger.wallSeconds / 3600
    energyKWh = ledger.energyKWh
    co2eKg = ledger.co2eKg
    memoryPerDeviceBytes =
      (try? MemoryEstimate(
        config: run.model, tensorParallel: run.tensorParallel, dataParallel: dp,
        microBatch: run.microBatch, seqLen: run.seqLen, optimizer: run.optimizer, recompute: run.recompute,
        pipeline: run.pipelineParallel, microbatches: run.microbatches))?.total
      ?? 0
    costUSD = run.pricePerDeviceHour.map { $0 * ledger.rankSeconds / 3600 }
    peak = run.hardware.peakFlops
    mfu = ledger.rankSeconds > 0 && peak > 0 ? ledger.flops / (ledger.rankSeconds * peak) : 0
    let average = ledger.wallSeconds > 0 ? ledger.tokens / ledger.wallSeconds : 0
    self.tokensPerSecond = tokensPerSecond ?? average
    devices = run.devices
    tensorParallel = run.tensorParallel
    dataParallel = dp
    pipelineParallel = run.pipelineParallel
    hardware = run.hardware.name
    steps = ledger.steps
    energyMethod = run.energyMethod.rawValue
    pue = run.pue
    gridIntensity = run.grid.gramsPerKWh
    region = run.grid.region
    lost.steps = ledger.lostSteps
    lost.tokens = ledger.lostTokens
    lost.flops = ledger.lostFlops
    lost.energyKWh = ledger.lostEnergyKWh
    lost.co2eKg = ledger.lostCO2eKg
    lost.wallHours = ledger.lostWallSeconds / 3600
    equivalents = CarbonEquivalents(co2eKg: ledger.co2eKg)

    // Projection: what remains of the full run at the observed rates per token.
    let target = run.fullRunTokens
    let useful = ledger.tokens - ledger.lostTokens
    let remaining = max(0, target - useful)
    let throughput = self.tokensPerSecond
    let remainingWall = throughput > 0 ? remaining / throughput : 0
    let perToken = { (total: Double) in ledger.tokens > 0 ? total / ledger.tokens : 0 }
    let remainingEnergy = remaining * perToken(ledger.energyKWh)
    let remainingCO2e = remaining * perToken(ledger.co2eKg)
    let projectedDeviceHours = (ledger.rankSeconds + remainingWall * Double(run.devices)) / 3600
    projection.tokens = target
    projection.steps = run.tokensPerStep > 0 ? target / Double(run.tokensPerStep) : 0
    projection.flops = ModelFlops.sixND(parameters: n, tokens: target)
    projection.modelFlops = ledger.flops + remaining * ModelFlops.perToken(run.model, seqLen: run.seqLen)
    projection.deviceHours = projectedDeviceHours
    projection.wallHours = (ledger.wallSeconds + remainingWall) / 3600
    projection.remainingWallHours = remainingWall / 3600
    projection.energyKWh = ledger.energyKWh + remainingEnergy
    projection.co2eKg = ledger.co2eKg + remainingCO2e
    projection.costUSD = run.pricePerDeviceHour.map { $0 * projectedDeviceHours }
    projection.basis = "totals so far plus the remaining tokens at the observed throughput and energy per token"
  }
}
