#include "engine/invoice_index.h"

#include <algorithm>
#include <vector>

namespace ledgerlake::engine {

bool InvoiceIndexWriter::Add(int64_t invoice_id, uint32_t ordinal) {
  if (records_ > 0 && invoice_id <= previous_) return false;
  if (records_ % kIndexBlock == 0) {
    if (payload_.size() > UINT32_MAX) return false;
    table_.push_back(TableEntry{invoice_id, ordinal, static_cast<uint32_t>(payload_.size())});
  } else {
    char buf[2 * kMaxVarintBytes];
    char* end = PutVarint(buf, static_cast<uint64_t>(invoice_id) - static_cast<uint64_t>(previous_) - 1);
    end = PutVarint(end, ordinal);
    payload_.insert(payload_.end(), buf, end);
  }
  previous_ = invoice_id;
  ++records_;
  return true;
}

InvoiceIndexView::Block InvoiceIndexView::BlockAt(uint64_t b) const {
  const unsigned char* entry = table_ + kTableEntry * b;
  const uint32_t begin = Load<uint32_t>(entry + 12);
  const size_t end = b + 1 < blocks_ ? Load<uint32_t>(entry + kTableEntry + 12) : payload_bytes_;
  const uint64_t in_block = b + 1 < blocks_ ? kIndexBlock : records_ - kIndexBlock * b;
  return Block{Load<int64_t>(entry), Load<uint32_t>(entry + 8), static_cast<uint32_t>(in_block - 1),
               payload_ + begin, payload_ + end};
}

bool InvoiceIndexView::CheckBlocks(uint64_t begin, uint64_t end, uint32_t accounts, int64_t* first,
                                   int64_t* last) const {
  bool ok = true, any = false;
  int64_t previous = 0;
  for (uint64_t b = begin; b < end && ok; ++b) {
    Block block = BlockAt(b);
    uint32_t left = block.left;
    auto check = [&](const Block& at) {
      ok = ok && at.ordinal < accounts && (!any || at.id > previous);
      if (!any) *first = at.id;
      any = true;
      previous = at.id;
    };
    check(block);
    // A gap so large that the id wraps past INT64_MAX shows as an id that does not increase.
    while (ok && Next(block)) {
      check(block);
      --left;
    }
    ok = ok && left == 0 && block.p == block.end;
  }
  *last = previous;
  return ok;
}

bool InvoiceIndexView::Open(const unsigned char* body, size_t bytes, uint64_t records, uint32_t accounts,
                            TaskPool* pool) {
  *this = InvoiceIndexView{};
  if (bytes < 8) return false;
  const uint64_t blocks = Load<uint64_t>(body);
  if (blocks != (records + kIndexBlock - 1) / kIndexBlock || blocks > (bytes - 8) / kTableEntry) return false;
  table_ = body + 8;
  payload_ = table_ + kTableEntry * blocks;
  payload_bytes_ = bytes - 8 - kTableEntry * blocks;
  blocks_ = blocks;
  records_ = records;
  // Offsets must rise within the payload; then every record must decode, in increasing id order, to an ordinal
  // below `accounts`, each block using up exactly its bytes: in parts, whose ids must then rise from one to the
  // next.
  uint32_t previous_offset = 0;
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint32_t offset = Load<uint32_t>(table_ + kTableEntry * b + 12);
    if (offset < previous_offset || offset > payload_bytes_ || (b == 0 && offset != 0)) return false;
    previous_offset = offset;
  }
  constexpr uint64_t kBlocksPerPart = 8192;  // 256K records
  const uint64_t parts = pool == nullptr ? 1 : std::max<uint64_t>(1, (blocks + kBlocksPerPart - 1) / kBlocksPerPart);
  struct Part {
    bool ok = false;
    int64_t first = 0, last = 0;
  };
  std::vector<Part> checked(parts);
  auto check = [&](size_t i) {
    const uint64_t begin = blocks * i / parts, end = blocks * (i + 1) / parts;
    checked[i].ok = CheckBlocks(begin, end, accounts, &checked[i].first, &checked[i].last);
  };
  if (parts == 1) {
    check(0);
  } else {
    pool->ParallelFor(parts, check);
  }
  bool ok = true;
  for (size_t i = 0; i < parts; ++i) {
    ok = ok && checked[i].ok && (i == 0 || checked[i].first > checked[i - 1].last);  // parts <= blocks: none empty
  }
  if (!ok) *this = InvoiceIndexView{};
  return ok;
}

uint32_t InvoiceIndexView::Find(int64_t invoice_id) const {
  // The last block whose first id is <= invoice_id.
  uint64_t lo = 0, hi = blocks_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (Load<int64_t>(table_ + kTableEntry * mid) <= invoice_id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return kNone;
  Block block = BlockAt(lo - 1);
  while (block.id < invoice_id && Next(block)) {
  }
  return block.id == invoice_id ? block.ordinal : kNone;
}

}  // namespace ledgerlake::engine
