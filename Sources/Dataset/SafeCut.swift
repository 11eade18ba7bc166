/// Where a long text may be cut so that encoding the parts separately gives exactly the encoding
/// of the whole: the streaming encoder in `prepare` cuts its read buffer only at such points.
///
/// A position p (between bytes p−1 and p) is safe when the pre-tokeniser (`PreTokenizer`) ends a
/// piece at p both in the whole text and in the text cut at p, and every piece before p is the
/// same in both. Two kinds of position qualify:
///
/// - **Before a space that follows non-whitespace** (`"word| next"`): the character before p is
///   a letter, number or other, so the piece holding it is a contraction or a one-class run, and
///   neither can take in a space, so it ends at p whatever follows; the space starts the next
///   piece in both texts. (The lookahead `(?!\S)` is only used by whitespace runs, and the
///   last piece before p is not one.)
/// - **After a lone newline between non-whitespace** (`"end\n|Next"`): in the whole text the
///   newline is a one-character whitespace run before non-whitespace, which `\s+` takes alone; at
///   the end of the cut text `\s+(?!\S)` takes it alone too. Both texts have the piece `"\n"`.
///
/// The obvious rule "after any newline followed by non-whitespace" is *not* safe: in `"a \n\nB"`
/// the whole text gives `" \n"`, `"\n"`, `"B"` (the run gives back its last newline), but cut
/// before `B` the first part ends in the run `" \n\n"`, one piece. Both rules above also hold with
/// `<|endoftext|>` allowed as a special token, as neither position can fall inside that text.
enum SafeCut {
  /// The last safe cut in `bytes` after `floor` (and before the end), or nil if there is none.
  static func last(in bytes: UnsafeBufferPointer<UInt8>, after floor: Int = 0) -> Int? {
    guard let base = bytes.baseAddress, bytes.count >= 2 else { return nil }
    var p = bytes.count - 1
    while p > max(floor, 0) {
      let byte = base[p]
      if byte == 0x20 {
        if endsWithText(base, p) { return p }
      } else if base[p - 1] == 0x0A, p >= 2, endsWithText(base, p - 1), startsWithText(base, p, bytes.count) {
        return p
      }
      p -= 1
    }
    return nil
  }

  /// Whether the bytes just before `end` are one well-formed character that is not whitespace.
  private static func endsWithText(_ base: UnsafePointer<UInt8>, _ end: Int) -> Bool {
    var start = end - 1
    while start > 0, end - start < 4, base[start] & 0xC0 == 0x80 { start -= 1 }
    guard start >= 0, let (value, length) = PreTokenizer.decodeScalar(base, start, end), start + length == end else {
      return false
    }
    return ScalarClass.of(value) != .whitespace
  }

  /// Whether the bytes at `start` begin a complete well-formed character that is not whitespace.
  private static func startsWithText(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
    guard let (value, _) = PreTokenizer.decodeScalar(base, start, end) else { return false }
    return ScalarClass.of(value) != .whitespace
  }
}
