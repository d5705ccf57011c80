// Writes files made of independently generated blocks of rows: blocks are produced (and gzip-compressed) on
// several threads, then appended to their files strictly in block order, so the bytes never depend on the
// thread count. With gzip each block is one gzip member; concatenated members are one valid gzip file
// (RFC 1952, as bgzip does), which lets compression run in parallel too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gen/generator.h"
#include "util/status.h"

namespace ledgerlake::gen {

struct OutputFile {
  std::string path;   // final name; written as path + ".tmp" and renamed when complete
  std::string table;
};

// One block's contribution to one file.
struct BlockPart {
  std::string text;
  uint64_t rows = 0;
};

// Fills parts[f] (parts.size() == number of files) with block `block`'s bytes for file f. Called concurrently
// for different blocks; must depend only on `block`.
using BlockMaker = std::function<void(int64_t block, std::vector<BlockPart>& parts)>;

// Runs make_block for blocks 0..blocks-1 on `threads` threads (>= 1) and writes the files. Block 0 is expected
// to start with the header. Returns the files in the order given, or IOError naming the file that failed.
Result<std::vector<GeneratedFile>> WriteBlocks(const std::vector<OutputFile>& files, int64_t blocks, int threads,
                                               bool gzip, const BlockMaker& make_block);

}  // namespace ledgerlake::gen
