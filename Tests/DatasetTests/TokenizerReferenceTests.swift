import Foundation
import Testing

@testable import Dataset

/// The tokenizer against tiktoken's ids for tiny Shakespeare (../shared/data/tokens-reference.json).
@Suite struct TokenizerReferenceTests {
  struct Reference: Decodable {
    let total_tokens: Int
    let first_64_tokens: [Int]
    let last_16_tokens: [Int]
    let hello_world: HelloWorld
    struct HelloWorld: Decodable {
      let text: String
      let ids: [Int]
    }
  }

  @Test func tinyShakespeareEncodesToTheReferenceIds() throws {
    guard let data = TestData.sharedData, let tokenizer = TestData.tokenizer else {
      return TestData.skip()
    }
    let reference = try JSONDecoder().decode(
      Reference.self, from: Data(contentsOf: URL(fileURLWithPath: data + "/tokens-reference.json")))
    let text = try String(contentsOfFile: data + "/tinyshakespeare.txt", encoding: .utf8)
    let ids = tokenizer.encode(text)
    #expect(ids.count == reference.total_tokens)
    #expect(Array(ids.prefix(64)) == reference.first_64_tokens)
    #expect(Array(ids.suffix(16)) == reference.last_16_tokens)
    #expect(tokenizer.encode(reference.hello_world.text) == reference.hello_world.ids)
    // Every id, not only the ends: the fixture holds the SHA-256 of tiktoken's full id sequence.
    let littleEndian = ids.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    #expect(ids.count == TestData.cases.tinyshakespeare.count)
    #expect(SHA256.hexDigest(of: littleEndian) == TestData.cases.tinyshakespeare.ids_uint16le_sha256)
    #expect(tokenizer.decode(ids) == text)
  }
}
