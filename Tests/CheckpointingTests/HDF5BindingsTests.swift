import Foundation
import HDF5Bindings
import SwiftletCore
import Testing

@Suite("HDF5 bindings")
struct HDF5BindingsTests {
  @Test func nestedGroupsAreCreatedAndListedInNameOrder() throws {
    let folder = TemporaryFolder("h5")
    let path = folder.file("groups.h5")
    do {
      let file = try HDF5File.create(path: path)
      _ = try file.createGroup("optimizer/exp_avg")
      _ = try file.createGroup("model")
      try file.openGroup("optimizer").writeDataset("b", values: [Int64(1)], shape: [1])
    }
    let file = try HDF5File.open(path: path)
    #expect(try file.memberNames() == ["model", "optimizer"])
    #expect(try file.openGroup("optimizer").memberNames() == ["b", "exp_avg"])
    #expect(try file.contains("optimizer/exp_avg"))
    #expect(try !file.contains("optimizer/exp_avg_sq/x"))
    #expect(try file.memberKind("optimizer/b") == .dataset)
    #expect(try file.memberKind("optimizer/exp_avg") == .group)
  }

  @Test func datasetsOfEachKindRoundTrip() throws {
    let folder = TemporaryFolder("h5")
    let path = folder.file("kinds.h5")
    let floats = testValues(count: 24, seed: 1)
    let longs: [Int64] = [Int64.min, -1, 0, 7, Int64.max]
    let bytes: [UInt8] = Array("{\"json\": true}".utf8)
    do {
      let file = try HDF5File.create(path: path)
      try file.writeDataset("f", values: floats, shape: [2, 3, 4])
      try file.writeDataset("g/i", values: longs, shape: [5])
      try file.writeDataset("g/u", values: bytes, shape: [bytes.count])
      try file.flush()
    }
    let file = try HDF5File.open(path: path)
    let f = try file.openDataset("f")
    #expect(f.shape == [2, 3, 4])
    #expect(f.kind == .float32)
    #expect(try f.read(as: Float.self) == floats)
    #expect(try file.openDataset("g/i").read(as: Int64.self) == longs)
    #expect(try file.openDataset("g/u").read(as: UInt8.self) == bytes)
    // No silent conversions: reading float32 data as int64 is an error naming the dataset.
    #expect(throws: SwiftletError.self) { try f.read(as: Int64.self) }
  }

  @Test func hyperslabPiecesAssembleTheWholeArrayAndReadBackAsBoxes() throws {
    let folder = TemporaryFolder("h5")
    let path = folder.file("slabs.h5")
    let shape = [6, 8]
    let whole = testValues(count: 48, seed: 2)
    func box(_ rows: Range<Int>, _ columns: Range<Int>) -> [Float] {
      rows.flatMap { r in columns.map { c in whole[r * 8 + c] } }
    }
    do {
      let file = try HDF5File.create(path: path)
      let dataset = try file.createDataset("x", of: Float.self, shape: shape)
      // Four column-and-row quadrants, written out of order.
      for (rows, columns) in [(3..<6, 4..<8), (0..<3, 0..<4), (3..<6, 0..<4), (0..<3, 4..<8)] {
        try box(rows, columns).withUnsafeBufferPointer {
          try dataset.write(
            $0, offset: [rows.lowerBound, columns.lowerBound], count: [rows.count, columns.count])
        }
      }
    }
    let dataset = try HDF5File.open(path: path).openDataset("x")
    #expect(try dataset.read(as: Float.self) == whole)
    var part = [Float](repeating: 0, count: 2 * 5)
    try part.withUnsafeMutableBufferPointer {
      try dataset.read(into: $0, offset: [1, 2], count: [2, 5])
    }
    #expect(part == box(1..<3, 2..<7))
    // A box outside the shape is refused before it reaches HDF5.
    #expect(throws: SwiftletError.self) {
      try part.withUnsafeMutableBufferPointer {
        try dataset.read(into: $0, offset: [5, 2], count: [2, 5])
      }
    }
  }

  @Test func attributesRoundTripOnFilesGroupsAndDatasets() throws {
    let folder = TemporaryFolder("h5")
    let path = folder.file("attrs.h5")
    let longText = String(repeating: "é{\"k\": 1}", count: 20_000)  // > 64 KiB: no header limit
    do {
      let file = try HDF5File.create(path: path)
      try file.setAttribute("format", "swiftlet-checkpoint")
      try file.setAttribute("fixed", "abc", fixedLength: true)
      try file.setAttribute("long", longText)
      try file.setAttribute("n", Int64(-42))
      try file.setAttribute("n", Int64(43))  // replaces
      let group = try file.createGroup("g")
      try group.setAttribute("x", 2.5)
      let dataset = try group.writeDataset("d", values: [Float(1)], shape: [1])
      try dataset.setAttribute("crc32", Int64(UInt32.max))
    }
    let file = try HDF5File.open(path: path)
    #expect(try file.attributeNames() == ["fixed", "format", "long", "n"])
    #expect(try file.stringAttribute("format") == "swiftlet-checkpoint")
    #expect(try file.stringAttribute("fixed") == "abc")
    #expect(try file.stringAttribute("long") == longText)
    #expect(try file.int64Attribute("n") == 43)
    #expect(try file.doubleAttribute("n") == 43)
    #expect(try file.attributeKind("format") == .string)
    let group = try file.openGroup("g")
    #expect(try group.doubleAttribute("x") == 2.5)
    #expect(try group.openDataset("d").int64Attribute("crc32") == Int64(UInt32.max))
    // A missing attribute and a kind mismatch are errors naming the object.
    #expect(throws: SwiftletError.self) { try file.stringAttribute("nope") }
    #expect(throws: SwiftletError.self) { try group.int64Attribute("x") }
  }

  @Test func openingSomethingThatIsNotHDF5IsAOneLineError() throws {
    let folder = TemporaryFolder("h5")
    let path = folder.file("text.h5")
    try "hello".write(toFile: path, atomically: true, encoding: .utf8)
    let notHDF5 = #expect(throws: SwiftletError.self) { try HDF5File.open(path: path) }
    #expect(notHDF5?.message == "\(path) is not an HDF5 file")
    let missing = #expect(throws: SwiftletError.self) {
      try HDF5File.open(path: folder.file("none.h5"))
    }
    #expect(missing?.message.contains("no such file") == true)
    #expect(missing?.message.contains("\n") == false)
  }

  @Test func objectsCannotBeUsedAfterClose() throws {
    let folder = TemporaryFolder("h5")
    let file = try HDF5File.create(path: folder.file("closed.h5"))
    let group = try file.createGroup("g")
    try group.close()
    try group.close()  // twice is fine
    #expect(throws: SwiftletError.self) { try group.memberNames() }
  }
}
