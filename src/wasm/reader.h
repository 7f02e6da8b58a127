// Reader: a cursor over WebAssembly binary bytes (spec section 5.1/5.2): bytes, LEB128
// integers, IEEE bit patterns and UTF-8 names. Used by the module decoder and by the function
// body validator for every immediate, so every method is inline and allocation-free on success.
// Invariants: position never exceeds the span; offsets reported are absolute (base + position);
// after the first failure the error is kept (later failures do not overwrite it) and every read
// keeps returning false, so callers may check once after a run of reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "weft/error.h"

namespace weft::wasm {

/// Cursor over a byte span. Read methods return true and store the value on success; on
/// failure they return false, leave `*out` unspecified and record an Error (code kMalformed,
/// spec wording, absolute byte offset) retrievable with error()/TakeError().
/// Not thread-safe; cheap to copy (copying a failed reader copies its error).
class Reader {
 public:
  Reader() = default;
  /// `base_offset` is the absolute offset of bytes[0] in the module binary.
  explicit Reader(std::span<const uint8_t> bytes, uint64_t base_offset = 0)
      : data_(bytes.data()), size_(bytes.size()), base_(base_offset) {}

  /// Absolute offset of the next byte to read.
  uint64_t offset() const { return base_ + pos_; }
  /// Position relative to the start of the span.
  size_t position() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  const uint8_t* current() const { return data_ + pos_; }
  std::span<const uint8_t> rest() const { return {data_ + pos_, size_ - pos_}; }

  bool ok() const { return error_.ok(); }
  const Error& error() const { return error_; }
  Error TakeError() { return std::move(error_); }

  /// Records a malformed-binary error at the current offset (unless one is already recorded)
  /// and returns false, so callers can write `return r.Fail("...")`.
  bool Fail(std::string_view message) { return FailAt(offset(), message); }
  bool FailAt(uint64_t abs_offset, std::string_view message) {
    if (error_.ok()) error_ = Error::Make(ErrorCode::kMalformed, std::string(message), abs_offset);
    pos_ = size_;  // Stop further progress: later reads fail without overwriting the error.
    return false;
  }

  bool ReadU8(uint8_t* out) {
    if (WEFT_UNLIKELY(pos_ >= size_)) return Fail("unexpected end");
    *out = data_[pos_++];
    return true;
  }
  /// Peeks at the next byte without consuming it; false at end (no error recorded).
  bool PeekU8(uint8_t* out) const {
    if (pos_ >= size_) return false;
    *out = data_[pos_];
    return true;
  }

  bool ReadVarU32(uint32_t* out) {
    if (WEFT_LIKELY(pos_ < size_ && data_[pos_] < 0x80)) {
      *out = data_[pos_++];
      return true;
    }
    return ReadVarU32Slow(out);
  }
  bool ReadVarS32(int32_t* out) {
    if (WEFT_LIKELY(pos_ < size_ && data_[pos_] < 0x80)) {
      uint8_t b = data_[pos_++];
      *out = static_cast<int32_t>(static_cast<int8_t>(static_cast<uint8_t>(b << 1))) >> 1;
      return true;
    }
    return ReadVarS32Slow(out);
  }
  /// Signed 33-bit integer (block types: a negative single byte is a value type or the empty
  /// type, a non-negative value is a type index).
  bool ReadVarS33(int64_t* out) {
    uint64_t v;
    if (!ReadLeb(33, true, &v)) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  bool ReadVarS64(int64_t* out) {
    uint64_t v;
    if (!ReadLeb(64, true, &v)) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  bool ReadVarU64(uint64_t* out) { return ReadLeb(64, false, out); }

  bool ReadF32Bits(uint32_t* out) {
    if (WEFT_UNLIKELY(size_ - pos_ < 4)) return Fail("unexpected end");
    uint32_t v;
    std::memcpy(&v, data_ + pos_, 4);  // Little-endian hosts only (x86-64, AArch64).
    pos_ += 4;
    *out = v;
    return true;
  }
  bool ReadF64Bits(uint64_t* out) {
    if (WEFT_UNLIKELY(size_ - pos_ < 8)) return Fail("unexpected end");
    uint64_t v;
    std::memcpy(&v, data_ + pos_, 8);
    pos_ += 8;
    *out = v;
    return true;
  }
  /// Reads 16 bytes (v128 immediates), low 64 bits first.
  bool ReadV128(uint64_t* lo, uint64_t* hi) {
    if (WEFT_UNLIKELY(size_ - pos_ < 16)) return Fail("unexpected end");
    std::memcpy(lo, data_ + pos_, 8);
    std::memcpy(hi, data_ + pos_ + 8, 8);
    pos_ += 16;
    return true;
  }

  /// The next `n` bytes, as a view into the underlying span.
  bool ReadBytes(size_t n, std::span<const uint8_t>* out) {
    if (WEFT_UNLIKELY(size_ - pos_ < n)) return Fail("unexpected end");
    *out = {data_ + pos_, n};
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (WEFT_UNLIKELY(size_ - pos_ < n)) return Fail("unexpected end");
    pos_ += n;
    return true;
  }

  /// A `name`: u32 length then that many bytes of valid UTF-8 ("malformed UTF-8 encoding";
  /// a length beyond the span is "length out of bounds", as the reference decoder says).
  /// The view points into the underlying span.
  bool ReadName(std::string_view* out) {
    uint32_t len;
    if (!ReadVarU32(&len)) return false;
    if (WEFT_UNLIKELY(size_ - pos_ < len)) return Fail("length out of bounds");
    const uint8_t* p = data_ + pos_;
    if (!IsValidUtf8(p, len)) return Fail("malformed UTF-8 encoding");
    *out = std::string_view(reinterpret_cast<const char*>(p), len);
    pos_ += len;
    return true;
  }

  /// UTF-8 per RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), at most U+10FFFF.
  static bool IsValidUtf8(const uint8_t* p, size_t n) {
    size_t i = 0;
    while (i < n) {
      uint8_t b = p[i];
      if (b < 0x80) {
        ++i;
        continue;
      }
      size_t len;
      uint32_t cp;
      uint32_t min;
      if ((b & 0xe0) == 0xc0) {
        len = 2, cp = b & 0x1f, min = 0x80;
      } else if ((b & 0xf0) == 0xe0) {
        len = 3, cp = b & 0x0f, min = 0x800;
      } else if ((b & 0xf8) == 0xf0) {
        len = 4, cp = b & 0x07, min = 0x10000;
      } else {
        return false;
      }
      if (n - i < len) return false;
      for (size_t k = 1; k < len; ++k) {
        uint8_t c = p[i + k];
        if ((c & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (c & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
      i += len;
    }
    return true;
  }

 private:
  // Multi-byte 32-bit forms, kept apart from the generic ReadLeb because body validation
  // reads them for most immediates (indices, offsets, i32.const).
  bool ReadVarU32Slow(uint32_t* out) {
    uint32_t result = 0;
    for (unsigned shift = 0; shift < 28; shift += 7) {
      if (WEFT_UNLIKELY(pos_ >= size_)) return Fail("unexpected end");
      uint8_t b = data_[pos_++];
      result |= static_cast<uint32_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *out = result;
        return true;
      }
    }
    if (WEFT_UNLIKELY(pos_ >= size_)) return Fail("unexpected end");
    uint8_t b = data_[pos_++];
    if (b & 0x80) return FailAt(offset() - 1, "integer representation too long");
    if (b & 0x70) return FailAt(offset() - 1, "integer too large");
    *out = result | static_cast<uint32_t>(b) << 28;
    return true;
  }
  bool ReadVarS32Slow(int32_t* out) {
    uint32_t result = 0;
    for (unsigned shift = 0; shift < 28; shift += 7) {
      if (WEFT_UNLIKELY(pos_ >= size_)) return Fail("unexpected end");
      uint8_t b = data_[pos_++];
      result |= static_cast<uint32_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        // Sign-extend from bit shift+6.
        unsigned width = shift + 7;
        uint32_t sign = uint32_t{1} << (width - 1);
        *out = static_cast<int32_t>((result ^ sign) - sign);
        return true;
      }
    }
    if (WEFT_UNLIKELY(pos_ >= size_)) return Fail("unexpected end");
    uint8_t b = data_[pos_++];
    if (b & 0x80) return FailAt(offset() - 1, "integer representation too long");
    // Bits 4-6 of the fifth byte lie beyond 32 bits: they must repeat the sign bit (bit 3).
    uint8_t extra = b & 0x70;
    if (extra != ((b & 0x08) ? 0x70 : 0x00)) return FailAt(offset() - 1, "integer too large");
    *out = static_cast<int32_t>(result | static_cast<uint32_t>(b) << 28);
    return true;
  }

  /// General LEB128 of at most ceil(bits/7) bytes. Padded encodings are accepted; a final
  /// byte with the continuation bit is "integer representation too long"; bits of the final
  /// byte beyond `bits` must be zero (unsigned) or copies of the sign bit (signed), else
  /// "integer too large". Signed results are sign-extended to 64 bits.
  bool ReadLeb(unsigned bits, bool is_signed, uint64_t* out) {
    const unsigned max_bytes = (bits + 6) / 7;
    uint64_t result = 0;
    unsigned shift = 0;
    for (unsigned i = 0;; ++i) {
      if (WEFT_UNLIKELY(pos_ >= size_)) return Fail("unexpected end");
      uint8_t b = data_[pos_++];
      if (i + 1 == max_bytes) {
        if (b & 0x80) return FailAt(offset() - 1, "integer representation too long");
        unsigned used = bits - shift;  // Value bits in this final byte (1..7).
        if (used < 7) {
          uint8_t extra = static_cast<uint8_t>(b & 0x7f) >> used;  // Bits beyond the width.
          if (is_signed) {
            uint8_t sign = (b >> (used - 1)) & 1;
            uint8_t expect = sign ? static_cast<uint8_t>(0x7f >> used) : 0;
            if (extra != expect) return FailAt(offset() - 1, "integer too large");
          } else if (extra != 0) {
            return FailAt(offset() - 1, "integer too large");
          }
        }
        result |= static_cast<uint64_t>(b & 0x7f) << shift;
        shift += 7;
        break;
      }
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (is_signed && shift < 64) {
      unsigned width = shift < bits ? shift : bits;
      // Sign-extend from bit width-1.
      uint64_t sign_bit = uint64_t{1} << (width - 1);
      if (width < 64) {
        result &= (uint64_t{1} << width) - 1;
        result = (result ^ sign_bit) - sign_bit;
      }
    } else if (!is_signed && bits < 64) {
      result &= (uint64_t{1} << bits) - 1;
    }
    *out = result;
    return true;
  }

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  uint64_t base_ = 0;
  Error error_;
};

}  // namespace weft::wasm
