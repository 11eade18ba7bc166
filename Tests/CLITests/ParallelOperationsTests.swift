import Foundation
import Testing

/// The Parallel module's operations one by one under a real `mpirun` (Tests/ParallelProbe): f/g
/// on tensor-parallel groups, the vocabulary-parallel cross-entropy against one rank with the
/// whole vocabulary, the gradient buckets without owners and with ZeRO-1 and ZeRO-2 owners, and
/// the pipeline's point-to-point transfers — so a broken collective shows up by name, not only
/// as "the loss differs".
struct ParallelOperationsTests {
  @Test(arguments: [2, 4])
  func everyOperationGivesTheKnownResultOnEveryRank(ranks: Int) throws {
    let result = try Harness.run([], ranks: ranks, program: "ParallelProbe")
    let lines = result.stdout.split(separator: "\n")
    let failed = lines.filter { $0.hasPrefix("FAIL") }
    #expect(result.status == 0 && failed.isEmpty, "\(failed.joined(separator: "\n"))\n\(result.stderr)")
    // 4 f/g checks per tp size tried, 4 cross-entropy, 5 bucket and 3 pipeline checks on every
    // rank; the tied-embedding sum on the first and the last stage.
    let tpSizes = Set([ranks, 2]).count
    #expect(lines.filter { $0.hasPrefix("PASS") }.count == ranks * (4 * tpSizes + 4 + 5 + 3) + 2, "\(result.stdout)")
  }
}
