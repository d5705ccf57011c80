// SegmentedVector: an append-only array in fixed 64K-element segments. Growing never copies or moves what is
// there (no 2x peak while a std::vector reallocates, and references stay valid), which matters for the
// multi-gigabyte per-key state of a large run. Used by KeyedTable and Ledger.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace ledgerlake::engine {

template <typename T>
class SegmentedVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  static constexpr size_t kShift = 16;
  static constexpr size_t kSegment = size_t{1} << kShift;

  void push_back(const T& value) {
    if ((size_ & (kSegment - 1)) == 0 && (size_ >> kShift) == segments_.size()) {
      AddSegment();
    }
    segments_[size_ >> kShift][size_ & (kSegment - 1)] = value;
    ++size_;
  }
  T& operator[](size_t i) { return segments_[i >> kShift][i & (kSegment - 1)]; }
  const T& operator[](size_t i) const { return segments_[i >> kShift][i & (kSegment - 1)]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Forgets the elements but keeps the segments for reuse.
  void clear() { size_ = 0; }

  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  // Raw memory, untouched until written: the elements are implicit-lifetime types (aggregates or trivial),
  // created by the writes.
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  void AddSegment() {
    void* p = std::malloc(kSegment * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    segments_.emplace_back(static_cast<T*>(p));
  }
  std::vector<std::unique_ptr<T[], Free>> segments_;
  size_t size_ = 0;
};

}  // namespace ledgerlake::engine
