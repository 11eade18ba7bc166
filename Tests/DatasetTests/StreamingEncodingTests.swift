import Foundation
import Testing

@testable import Dataset

/// Cutting text at `SafeCut` positions never changes the ids (what makes `prepare` streamable).
@Suite struct StreamingEncodingTests {
  /// Texts that stress the cut rules: whitespace before newlines, blank lines, CJK without spaces.
  static let adversarial = [
    "a \n\nB", "end.\nNext", "x  \ny", "a\n\n\nb c", "word next  \n  \tz", "\u{3000}\nA", "A\n\u{3000}",
    "it's\nS", "'s\n's 're", "caf\u{E9}\n\u{E9}t\u{E9} \u{4E2D}\n\u{6587}", "\u{1F600}\n\u{1F600} \u{1F600}",
    "line\r\nline\r\n", "a\u{00A0}\nb \u{0085}\nc", String(repeating: "\u{4E00}\u{4E8C}", count: 500) + "\nend",
  ]

  /// Every position `SafeCut` calls safe, in order.
  static func safeCuts(_ bytes: [UInt8]) -> [Int] {
    var cuts = Set<Int>()
    bytes.withUnsafeBufferPointer { buffer in
      for end in 0...buffer.count {
        if let cut = SafeCut.last(in: UnsafeBufferPointer(rebasing: buffer[..<end])) { cuts.insert(cut) }
      }
    }
    return cuts.sorted()
  }

  @Test func encodingBothSidesOfAnySafeCutEqualsTheWhole() {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    var checked = 0
    let texts = StreamingEncodingTests.adversarial + TestData.cases.ordinary.map(\.text)
    for text in texts {
      let bytes = Array(text.utf8)
      let whole = tokenizer.encode(text)
      for cut in StreamingEncodingTests.safeCuts(bytes) {
        let parts = tokenizer.encode(bytes: bytes[..<cut]) + tokenizer.encode(bytes: bytes[cut...])
        #expect(parts == whole, "cut at \(cut) of \(text.debugDescription)")
        checked += 1
      }
    }
    #expect(checked > 500)
  }

  @Test func unsafeLookingNewlinesAreNotCuts() {
    // After "\n\n" or " \n" the newline run gives back its last character: not a safe cut.
    #expect(StreamingEncodingTests.safeCuts(Array("a \n\nB".utf8)) == [1])  // only before the space
    #expect(StreamingEncodingTests.safeCuts(Array("a\n\nB".utf8)).isEmpty)
    #expect(StreamingEncodingTests.safeCuts(Array("a\nB".utf8)) == [2])
    #expect(StreamingEncodingTests.safeCuts(Array("a b".utf8)) == [1])
  }

  @Test func chunkedReaderSegmentsEncodeToTheWholeFile() throws {
    guard let tokenizer = TestData.tokenizer, let data = TestData.sharedData else { return TestData.skip() }
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let shakespeare = try String(contentsOfFile: data + "/tinyshakespeare.txt", encoding: .utf8)
    let text = String(shakespeare.prefix(200_000)) + StreamingEncodingTests.adversarial.joined(separator: "\n")
    let path = folder + "/input.txt"
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    let whole = tokenizer.encode(text)
    for blockBytes in [64, 1000, 65_536] {
      var ids: [Int32] = []
      var segments = 0
      let reader = try ChunkedTextReader(path: path, blockBytes: blockBytes)
      let length = try reader.forEachSegment { segment in
        segments += 1
        tokenizer.appendEncoding(of: segment, allowingEndOfText: false, to: &ids)
      }
      #expect(length == text.utf8.count)
      #expect(ids.map(Int.init) == whole, "block size \(blockBytes)")
      #expect(segments >= text.utf8.count / (2 * blockBytes), "block size \(blockBytes): \(segments) segments")
    }
  }
}
