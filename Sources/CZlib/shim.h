// zlib (Debian: zlib1g-dev), for its CRC-32: the one Python's zlib.crc32 computes, which the
// checkpoints' per-dataset checksums use. Its functions import into Swift as they are.
#pragma once
#include <zlib.h>
