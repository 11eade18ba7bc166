import TestSupport
import Testing

@testable import Dataset

/// The heap-based merge (long pieces) against the direct scan (short pieces), and SHA-256.
@Suite struct BytePairMergerTests {
  @Test func heapMergeEqualsScanMergeOnLongPieces() {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    let merger = tokenizer.merger
    var generator = SeededRandom(seed: 11)
    for trial in 0..<60 {
      // Concatenated vocabulary entries make many competing merges; some trials repeat one entry.
      var piece: [UInt8] = []
      let repeatOne = trial % 4 == 0
      let fixed = tokenizer.bytes(of: Int(generator.next() % 50256))!
      while piece.count < 150 + trial * 10 {
        piece += repeatOne ? fixed : tokenizer.bytes(of: Int(generator.next() % 50256))!
      }
      var byScan: [Int32] = []
      var byHeap: [Int32] = []
      piece.withUnsafeBufferPointer {
        merger.mergeByScan($0.baseAddress!, $0.count, into: &byScan)
        merger.mergeWithHeap($0.baseAddress!, $0.count, into: &byHeap)
      }
      #expect(byHeap == byScan, "trial \(trial)")
      #expect(tokenizer.decodeBytes(byHeap.map(Int.init)) == piece)
    }
  }

  @Test func longPiecesRoundTripAndStayLinear() {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    // One 200,000-byte letter run and one whitespace run: quadratic merging would take minutes.
    let letters = String(repeating: "abcdefghij", count: 20_000)
    let spaces = String(repeating: " \t", count: 100_000) + "x"
    #expect(tokenizer.decode(tokenizer.encode(letters)) == letters)
    #expect(tokenizer.decode(tokenizer.encode(spaces)) == spaces)
  }

  @Test func sha256MatchesPublishedTestVectors() {
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the empty message.
    #expect(SHA256.hexDigest(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    // Incremental updates across block boundaries give the same digest as one update.
    let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    var hasher = SHA256()
    for start in stride(from: 0, to: message.count, by: 37) {
      hasher.update(message[start..<min(start + 37, message.count)])
    }
    let hex = hasher.finalize().map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    #expect(hex == SHA256.hexDigest(of: message))
  }
}
