/// Token and position embeddings.
///
/// The token table may be a vocabulary shard (rows `[firstRow, firstRow + rows)` of the padded
/// table): tokens outside it contribute zero here and are supplied by the rank owning them.

/// out[N, C] ← wte[token − firstRow] for tokens this shard owns, else 0.
public func tokenEmbeddingForward(
  out: FloatPointer, tokens: UnsafePointer<Int32>, table: UnsafePointer<Float>,
  firstRow: Int, rows: Int, count: Int, channels: Int
) {
  for i in 0..<count {
    let local = Int(tokens[i]) - firstRow
    let destination = out + i * channels
    if local >= 0 && local < rows {
      destination.update(from: table + local * channels, count: channels)
    } else {
      destination.update(repeating: 0, count: channels)
    }
  }
}

/// dtable[token − firstRow] += dout[i] for tokens this shard owns.
public func tokenEmbeddingBackward(
  dtable: FloatPointer, dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
  firstRow: Int, rows: Int, count: Int, channels: Int
) {
  for i in 0..<count {
    let local = Int(tokens[i]) - firstRow
    guard local >= 0 && local < rows else { continue }
    addInPlace(dtable + local * channels, dout + i * channels, count: channels)
  }
}

/// x[B, T, C] += wpe[t] for every batch row.
public func positionEmbeddingForward(
  x: FloatPointer, table: UnsafePointer<Float>, batch: Int, seqLen: Int, channels: Int
) {
  for b in 0..<batch {
    addInPlace(x + b * seqLen * channels, table, count: seqLen * channels)
  }
}

/// dwpe[t] += Σ_b dout[b, t]
public func positionEmbeddingBackward(
  dtable: FloatPointer, dout: UnsafePointer<Float>, batch: Int, seqLen: Int, channels: Int
) {
  for b in 0..<batch {
    addInPlace(dtable, dout + b * seqLen * channels, count: seqLen * channels)
  }
}
