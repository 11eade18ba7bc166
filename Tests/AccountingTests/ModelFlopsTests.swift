import Accounting
import GPT
import Testing

struct ModelFlopsTests {
  /// GPT-3 Table D.1 (Brown et al. 2020) lists 3.14e23 training FLOPs for 175B on 300B tokens;
  /// Patterson et al. 2021, Table 4, the same.
  @Test func gpt3SixNDOn300BTokensIs314e23() throws {
    let config = try GPTConfig.preset(named: "gpt3-175B")
    let flops = ModelFlops.sixND(parameters: Double(config.parameterCount), tokens: 300e9)
    #expect(abs(flops - 3.14e23) / 3.14e23 < 0.005, "\(flops)")
  }

  /// GPT-2 small has 124,439,808 parameters (Hugging Face `GPT2LMHeadModel`, tied head): PaLM's
  /// per-token count at T = 1024 is 6·N + 12·12·768·1024.
  @Test func palmPerTokenAddsTwelveLCTToSixN() throws {
    let config = try GPTConfig.preset(named: "gpt2-124M")
    #expect(config.parameterCount == 124_439_808)
    let perToken = ModelFlops.perToken(config, seqLen: 1024)
    #expect(perToken == 6 * 124_439_808 + 12 * 12 * 768 * 1024)
    // The attention term is 12·L·C·T, twice llm.c's 6·L·C·T.
    #expect(perToken - 6 * Double(config.parameterCount) == 2 * (6 * 12 * 768 * 1024))
  }

  @Test func perStepCountsGlobalTokens() throws {
    let config = try GPTConfig.preset(named: "gpt2-124M")
    let step = ModelFlops.perStep(config, tokensPerStep: 8 * 64, seqLen: 64)
    #expect(step == ModelFlops.perToken(config, seqLen: 64) * 512)
  }

  /// BRIEF pitfall (nanoGPT PR #619): MFU must divide the global FLOP rate by the global device
  /// count once. Doubling devices and the global batch at equal step time keeps MFU equal.
  @Test func mfuDividesGlobalFlopsByGlobalDevicesOnce() throws {
    let config = try GPTConfig.preset(named: "gpt2-124M")
    let peak = 100e9
    let one = MFU.utilisation(
      modelFlops: ModelFlops.perStep(config, tokensPerStep: 4 * 1024, seqLen: 1024), seconds: 10,
      devices: 1, peakPerDevice: peak)
    let two = MFU.utilisation(
      modelFlops: ModelFlops.perStep(config, tokensPerStep: 8 * 1024, seqLen: 1024), seconds: 10,
      devices: 2, peakPerDevice: peak)
    #expect(abs(one - two) < 1e-12)
    #expect(abs(one - ModelFlops.perToken(config, seqLen: 1024) * 4096 / 10 / peak) < 1e-12)
    #expect(MFU.utilisation(modelFlops: 1, seconds: 0, devices: 1, peakPerDevice: 1) == 0)
  }
}
