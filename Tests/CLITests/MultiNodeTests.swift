import Foundation
import TestSupport
import Testing

/// Training across network namespaces over TCP equals training on one host (issue 8.5).
/// The script skips (exit 0, "SKIP: …") where namespaces cannot be created.
struct MultiNodeTests {
  @Test func trainingAcrossNetworkNamespacesMatchesOneHost() throws {
    let script = PackagePaths.reference("multinode_netns_test.sh")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [script]
    var environment = Harness.cleanEnvironment
    environment["SWIFTLET_BIN"] = Harness.executable
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    print(output.split(separator: "\n").suffix(8).joined(separator: "\n"))
    #expect(process.terminationStatus == 0, "multi-node test failed:\n\(output)")
    if output.contains("SKIP:") {
      Prerequisite.missing("the network-namespace cluster could not be built")
    } else {
      #expect(output.contains("PASS") || output.lowercased().contains("identical"), "no pass line:\n\(output)")
    }
  }
}
