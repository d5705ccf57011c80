// UTF-8 validation for the record reader (every record is checked, docs/data-contract.md `invalid_utf8`) and for
// anyone else who needs to check text bytes. Hand-written: a table-free validator with an ASCII fast path.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ledgerlake::csv {

// True when `bytes` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..DFFF), nothing
// above U+10FFFF, no truncated sequence. NUL bytes are valid.
bool IsValidUtf8(const char* bytes, size_t n);
inline bool IsValidUtf8(std::string_view s) { return IsValidUtf8(s.data(), s.size()); }

// `raw` with its valid UTF-8 sequences kept and every other byte written as \xHH (upper-case hex), so that any
// bytes can be shown as text (a reject's record, a raw view's value). Valid input comes back unchanged.
std::string EscapeInvalidUtf8(std::string_view raw);

}  // namespace ledgerlake::csv
