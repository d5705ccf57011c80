// InvoiceIndex: which account of a bucket state (by its ordinal there) each invoice of the state belongs to, the
// part of a state (engine/state.h) that lets a run decode only the accounts its rows touch. Stored compactly,
// because a state is rewritten by every run and each bucket's invoice ids are spread over the whole id range (a
// direct array by id would cost 4 bytes per id of the lake in every bucket, sorted fixed records 12 bytes per
// invoice): the invoices sorted by id, in blocks of kIndexBlock, each block's first id and ordinal in a table
// for binary search, the rest as varints (the id's gap from the previous one, the ordinal), about 4 bytes per
// invoice. The layout is docs/formats.md's "Invoice index"; the state file carries its length and checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "util/task_pool.h"
#include "util/varint.h"

namespace ledgerlake::engine {

inline constexpr uint32_t kIndexBlock = 32;  // records per block: a lookup decodes at most 31 of them

// Builds an index body from (invoice id, ordinal) pairs given in strictly increasing id order.
class InvoiceIndexWriter {
 public:
  // `expected` records: sizes the buffers once.
  explicit InvoiceIndexWriter(uint64_t expected = 0) {
    table_.reserve(expected / kIndexBlock + 1);
    payload_.reserve(expected * 4);
  }
  // Adds the next invoice. False (and nothing added) when its id does not exceed the previous one's.
  bool Add(int64_t invoice_id, uint32_t ordinal);
  uint64_t records() const { return records_; }
  // False when the payload outgrew 32-bit offsets (no state holds that many invoices): the body is unusable.
  bool ok() const { return payload_.size() <= UINT32_MAX; }
  // The body's size, and its bytes handed to sink(const void*, size_t) in order: [blocks u64], the table (per
  // block: first id i64, first ordinal u32, payload offset u32), then the payload. Written piecewise, so that
  // the body is never held twice.
  uint64_t bytes() const { return 8 + 16 * table_.size() + payload_.size(); }
  template <typename Sink>
  void Emit(Sink&& sink) const {
    const uint64_t blocks = table_.size();
    sink(&blocks, sizeof blocks);
    if (!table_.empty()) sink(table_.data(), table_.size() * sizeof(TableEntry));
    if (!payload_.empty()) sink(payload_.data(), payload_.size());
  }

 private:
  struct TableEntry {  // as stored: little-endian, no padding
    int64_t first_id;
    uint32_t first_ordinal;
    uint32_t offset;
  };
  static_assert(sizeof(TableEntry) == 16);
  std::vector<TableEntry> table_;
  std::vector<char> payload_;
  int64_t previous_ = 0;
  uint64_t records_ = 0;
};

// Reads an index body in place (the state file stays mapped while the view is used).
class InvoiceIndexView {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Checks `body` completely: its table, and every record decoding in increasing id order to an ordinal below
  // `accounts`, `records` in all. False when anything is off (a damaged state). With a pool, the records are
  // checked in parts on its threads (a loop nested in the caller's, if any).
  bool Open(const unsigned char* body, size_t bytes, uint64_t records, uint32_t accounts, TaskPool* pool = nullptr);

  // The ordinal of an invoice's account, or kNone when the index lacks the id.
  uint32_t Find(int64_t invoice_id) const;

  // Calls f(invoice_id, ordinal) for every record, by increasing id.
  template <typename F>
  void ForEach(F&& f) const {
    for (uint64_t b = 0; b < blocks_; ++b) {
      Block block = BlockAt(b);
      f(block.id, block.ordinal);
      while (Next(block)) f(block.id, block.ordinal);
    }
  }

 private:
  static constexpr size_t kTableEntry = 16;
  // A cursor inside one block.
  struct Block {
    int64_t id;
    uint32_t ordinal;
    uint32_t left;  // records of the block after this one
    const unsigned char* p;
    const unsigned char* end;
  };
  Block BlockAt(uint64_t b) const;
  // Whether the records of blocks [begin, end) decode in increasing id order to ordinals below `accounts`, each
  // block using up exactly its bytes; sets the first and last id seen.
  bool CheckBlocks(uint64_t begin, uint64_t end, uint32_t accounts, int64_t* first, int64_t* last) const;
  // Moves to the block's next record; false at its end (or on bytes that do not decode, which Open excludes).
  static bool Next(Block& block) {
    if (block.left == 0) return false;
    uint64_t gap = 0, ordinal = 0;
    if (!GetVarint(block.p, block.end, &gap) || !GetVarint(block.p, block.end, &ordinal) || ordinal >= UINT32_MAX) {
      return false;
    }
    block.id = static_cast<int64_t>(static_cast<uint64_t>(block.id) + gap + 1);
    block.ordinal = static_cast<uint32_t>(ordinal);
    --block.left;
    return true;
  }
  template <typename T>
  static T Load(const unsigned char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  const unsigned char* table_ = nullptr;
  const unsigned char* payload_ = nullptr;
  size_t payload_bytes_ = 0;
  uint64_t blocks_ = 0;
  uint64_t records_ = 0;
};

}  // namespace ledgerlake::engine
