import ArgumentParser
import Dataset
import Foundation
import GPT
import Parallel
import SwiftletCore
import Training

struct Sample: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Generate text from a checkpoint: prints the prompt and its continuation as it goes.",
    discussion: """
      Top-k / temperature sampling with a key/value cache (each new token costs one pass over the
      cached prefix). The same --seed gives the same text. Generation stops after --max-tokens or
      at <|endoftext|>; when the context (n_ctx) fills, the older half is dropped and re-encoded.
      """)

  @Option(help: "Checkpoint file (RUN_DIR/checkpoints/step_XXXXXXXX.h5), Hugging Face model folder or llm.c file.")
  var checkpoint: String
  @Option(help: "Text to continue.") var prompt: String = "\n"
  @Option(help: "Tokens to generate.") var maxTokens = 200
  @Option(help: "Softmax temperature (0 = greedy).") var temperature = 0.8
  @Option(help: "Sample among the k most likely tokens (0 = all).") var topK = 40
  @Option(help: "Random seed.") var seed: UInt64 = 1337
  @Option(
    help: "Tokenizer folder with encoder.json and vocab.bpe (default: $SWIFTLET_TOKENIZER or the set-up location).")
  var tokenizer: String?
  @Flag(help: "Print generation speed (tokens/s) on stderr at the end.") var stats = false

  func validate() throws {
    guard maxTokens >= 0, topK >= 0, temperature >= 0, temperature.isFinite else {
      throw ValidationError("--max-tokens, --top-k and --temperature must not be negative")
    }
  }

  func run() throws {
    let world = try ParallelRuntime.start()
    guard world.size == 1 else { throw SwiftletError("sample runs on one rank; start it without mpirun") }
    guard FileManager.default.fileExists(atPath: checkpoint) else {
      throw SwiftletError("no such checkpoint: \(checkpoint)")
    }
    let bpe = try GPT2Tokenizer(locating: tokenizer)
    let grid = try ProcessGrid(world: world, tensorParallelSize: 1)
    _ = Coordinator.configureThreads(requested: 0, ranksOnNode: 1)
    let (model, _, _) = try CheckpointModelLoader.load(path: checkpoint, grid: grid)
    guard model.config.vocabSize >= GPT2Tokenizer.vocabularySize else {
      throw SwiftletError(
        "the checkpoint's vocabulary (\(model.config.vocabSize)) is smaller than GPT-2's; it was not trained on GPT-2 tokens"
      )
    }
    let decoder = try KVCacheDecoder(model: model)
    let sampler = TokenSampler(temperature: temperature, topK: topK, seed: seed)
    var context = bpe.encode(prompt)
    if context.isEmpty { context = [GPT2Tokenizer.endOfText] }
    let limit = model.config.nCtx
    if context.count > limit { context = Array(context.suffix(limit)) }
    for token in context { try decoder.append(token) }
    print(prompt, terminator: "")
    fflush(stdout)

    let start = MonotonicClock.now()
    var pending: [Int] = []  // tokens whose bytes do not yet form whole UTF-8 characters
    var generated = 0
    while generated < maxTokens {
      let next = sampler.pick(logits: decoder.logits, vocabSize: model.config.vocabSize, draw: generated)
      generated += 1
      if next == GPT2Tokenizer.endOfText { break }
      pending.append(next)
      let text = bpe.decode(pending)
      if !text.hasSuffix("\u{FFFD}") {
        print(text, terminator: "")
        fflush(stdout)
        pending.removeAll()
      }
      context.append(next)
      if decoder.length >= limit {
        // Context full: keep the newer half and rebuild the cache.
        context = Array(context.suffix(limit / 2))
        decoder.reset()
        for token in context.dropLast() { try decoder.append(token) }
      }
      try decoder.append(next)
    }
    if !pending.isEmpty { print(bpe.decode(pending), terminator: "") }
    print("")
    if stats {
      let seconds = MonotonicClock.now() - start
      FileHandle.standardError.write(
        String(format: "sample: %d tokens in %.2f s (%.1f tokens/s)\n", generated, seconds, Double(generated) / seconds)
      )
    }
  }
}
