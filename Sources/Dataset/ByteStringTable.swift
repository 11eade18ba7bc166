#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// An open-addressing hash table from byte strings to 64-bit values, looked up straight from a
/// pointer into the text being encoded (no `[UInt8]` key is built per lookup).
///
/// The tokenizer's hot path is one lookup per pre-token piece (is the piece a vocabulary entry, or
/// already in the cache?), so this avoids Swift `Dictionary<[UInt8], _>`'s allocation and generic
/// hashing. Keys are copied into one arena; linear probing; the table doubles at half load.
final class ByteStringTable {
  @exclusivity(unchecked) private var capacity: Int
  @exclusivity(unchecked) private var mask: Int
  @exclusivity(unchecked) private var hashes: UnsafeMutablePointer<UInt64>  // 0 marks an empty slot
  @exclusivity(unchecked) private var keyOffsets: UnsafeMutablePointer<Int>
  @exclusivity(unchecked) private var keyLengths: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var values: UnsafeMutablePointer<UInt64>
  @exclusivity(unchecked) private var arena: UnsafeMutablePointer<UInt8>
  @exclusivity(unchecked) private var arenaCapacity: Int
  /// Bytes of keys stored.
  @exclusivity(unchecked) private(set) var arenaCount = 0
  /// Entries stored.
  @exclusivity(unchecked) private(set) var count = 0

  init(minimumCapacity: Int = 1024) {
    var size = 16
    while size < 2 * minimumCapacity { size *= 2 }
    capacity = size
    mask = size - 1
    (hashes, keyOffsets, keyLengths, values) = Self.allocateSlots(size)
    arenaCapacity = 8 * size
    arena = .allocate(capacity: arenaCapacity)
  }

  deinit {
    hashes.deallocate()
    keyOffsets.deallocate()
    keyLengths.deallocate()
    values.deallocate()
    arena.deallocate()
  }

  /// Forgets every entry, keeping the allocated memory.
  func removeAll() {
    hashes.update(repeating: 0, count: capacity)
    count = 0
    arenaCount = 0
  }

  /// The value stored for the `length` bytes at `key`, or nil.
  @inline(__always)
  func value(_ key: UnsafePointer<UInt8>, _ length: Int) -> UInt64? {
    let slot = probe(key, length, hash: ByteStringTable.hash(key, length))
    return hashes[slot] == 0 ? nil : values[slot]
  }

  /// Stores `value` for the key (replacing any earlier value).
  func insert(_ key: UnsafePointer<UInt8>, _ length: Int, value: UInt64) {
    if 2 * (count + 1) > capacity { grow() }
    let hash = ByteStringTable.hash(key, length)
    let slot = probe(key, length, hash: hash)
    if hashes[slot] != 0 {
      values[slot] = value
      return
    }
    if arenaCount + length > arenaCapacity {
      var newCapacity = 2 * arenaCapacity
      while arenaCount + length > newCapacity { newCapacity *= 2 }
      let newArena = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
      newArena.update(from: arena, count: arenaCount)
      arena.deallocate()
      arena = newArena
      arenaCapacity = newCapacity
    }
    (arena + arenaCount).update(from: key, count: length)
    hashes[slot] = hash
    keyOffsets[slot] = arenaCount
    keyLengths[slot] = Int32(length)
    values[slot] = value
    arenaCount += length
    count += 1
  }

  /// Convenience for building tables from arrays.
  func insert(_ key: [UInt8], value: UInt64) {
    key.withUnsafeBufferPointer { insert($0.baseAddress ?? UnsafePointer(arena), $0.count, value: value) }
  }

  /// Convenience lookup from an array.
  func value(_ key: [UInt8]) -> UInt64? {
    key.withUnsafeBufferPointer { value($0.baseAddress ?? UnsafePointer(arena), $0.count) }
  }

  /// The slot holding the key, else the empty slot where linear probing from its hash stops.
  @inline(__always)
  private func probe(_ key: UnsafePointer<UInt8>, _ length: Int, hash: UInt64) -> Int {
    var slot = Int(truncatingIfNeeded: hash) & mask
    while hashes[slot] != 0 {
      if hashes[slot] == hash, Int(keyLengths[slot]) == length, memcmp(arena + keyOffsets[slot], key, length) == 0 {
        return slot
      }
      slot = (slot + 1) & mask
    }
    return slot
  }

  /// `size` empty slots: hashes zeroed (empty), the other columns uninitialised.
  private static func allocateSlots(_ size: Int) -> (
    UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UInt64>
  ) {
    let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
    hashes.initialize(repeating: 0, count: size)
    return (hashes, .allocate(capacity: size), .allocate(capacity: size), .allocate(capacity: size))
  }

  private func grow() {
    let oldCapacity = capacity
    let (oldHashes, oldOffsets, oldLengths, oldValues) = (hashes, keyOffsets, keyLengths, values)
    capacity *= 2
    mask = capacity - 1
    (hashes, keyOffsets, keyLengths, values) = Self.allocateSlots(capacity)
    for old in 0..<oldCapacity where oldHashes[old] != 0 {
      var slot = Int(truncatingIfNeeded: oldHashes[old]) & mask
      while hashes[slot] != 0 { slot = (slot + 1) & mask }
      hashes[slot] = oldHashes[old]
      keyOffsets[slot] = oldOffsets[old]
      keyLengths[slot] = oldLengths[old]
      values[slot] = oldValues[old]
    }
    oldHashes.deallocate()
    oldOffsets.deallocate()
    oldLengths.deallocate()
    oldValues.deallocate()
  }

  /// A fast non-cryptographic hash: 8-byte words multiplied into the state, then a final mix.
  /// Never returns 0 (the empty-slot marker).
  @inline(__always)
  static func hash(_ key: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
    let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    var state = UInt64(truncatingIfNeeded: length) &* multiplier
    var i = 0
    let raw = UnsafeRawPointer(key)
    while i + 8 <= length {
      state = (state ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* multiplier
      state ^= state >> 32
      i += 8
    }
    if i < length {
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while i < length {
        tail |= UInt64(key[i]) << shift
        shift += 8
        i += 1
      }
      state = (state ^ tail) &* multiplier
    }
    state ^= state >> 29
    state = state &* 0xBF58_476D_1CE4_E5B9
    state ^= state >> 32
    return state == 0 ? 1 : state
  }
}
