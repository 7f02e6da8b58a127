// Recoverable errors as values: weft::Error is one pointer (null on success) and
// weft::Expected<T> holds either a T or an Error. Engine code throws no exceptions.
// Invariant: an Error that is not ok() always carries a non-empty message.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/assert.h"

namespace weft {

/// What kind of failure an Error reports.
enum class ErrorCode : uint8_t {
  kOk = 0,
  kMalformed,   ///< Binary does not follow the format (assert_malformed).
  kInvalid,     ///< Well-formed but fails validation (assert_invalid).
  kUnlinkable,  ///< Imports do not match (assert_unlinkable).
  kTrap,        ///< A trap escaped (e.g. from a start function).
  kLimit,       ///< A configured resource limit was exceeded.
  kIo,          ///< Operating-system error (file, socket).
  kArgument,    ///< Bad argument from the embedder or the command line.
  kInternal,    ///< Bug or unsupported feature.
  kExit,        ///< The guest asked to exit (WASI proc_exit); exit_status() has the status.
};

/// Sentinel for "no byte offset / no function index".
inline constexpr uint64_t kNoOffset = ~uint64_t{0};
inline constexpr uint32_t kNoIndex = ~uint32_t{0};

/// A failure: code, message, and where (byte offset into the input, function index).
/// Pointer-sized; null (ok) on success. Move-only.
class [[nodiscard]] Error {
 public:
  Error() = default;
  static Error Ok() { return Error(); }
  /// The error a host function returns to end the guest with an exit status (proc_exit).
  static Error Exit(int32_t status) {
    Error e = Make(ErrorCode::kExit, "exit with status " + std::to_string(status));
    e.info_->exit_status = status;
    return e;
  }
  static Error Make(ErrorCode code, std::string message, uint64_t offset = kNoOffset,
                    uint32_t func_index = kNoIndex) {
    Error e;
    e.info_.reset(new Info{code, offset, func_index, std::move(message), 0, {}});
    return e;
  }

  Error(Error&&) noexcept = default;
  Error& operator=(Error&&) noexcept = default;
  Error(const Error& other)
      : info_(other.info_ ? new Info(*other.info_) : nullptr) {}
  Error& operator=(const Error& other) {
    if (this != &other) info_.reset(other.info_ ? new Info(*other.info_) : nullptr);
    return *this;
  }

  bool ok() const { return info_ == nullptr; }
  explicit operator bool() const { return info_ != nullptr; }  ///< true if this is a failure.
  ErrorCode code() const { return info_ ? info_->code : ErrorCode::kOk; }
  const std::string& message() const {
    static const std::string kEmpty;
    return info_ ? info_->message : kEmpty;
  }
  uint64_t offset() const { return info_ ? info_->offset : kNoOffset; }
  uint32_t func_index() const { return info_ ? info_->func_index : kNoIndex; }
  int32_t exit_status() const { return info_ ? info_->exit_status : 0; }
  /// For kTrap: the guest frames at the trap, innermost first ("name" or "func[N]"), with
  /// the module name when known: "module!name".
  const std::vector<std::string>& backtrace() const {
    static const std::vector<std::string> kEmpty;
    return info_ ? info_->backtrace : kEmpty;
  }
  void set_backtrace(std::vector<std::string> frames) {
    if (info_) info_->backtrace = std::move(frames);
  }
  void set_offset(uint64_t offset) {
    if (info_ && info_->offset == kNoOffset) info_->offset = offset;
  }
  /// Human-readable one-liner: "message (at byte offset 0x1a, function 3)".
  std::string ToString() const;

 private:
  struct Info {
    ErrorCode code;
    uint64_t offset;
    uint32_t func_index;
    std::string message;
    int32_t exit_status = 0;
    std::vector<std::string> backtrace;
  };
  std::unique_ptr<Info> info_;
};

/// Either a T or an Error. Check with ok() / operator bool before using value().
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : has_value_(true) { new (&value_) T(std::move(value)); }  // NOLINT
  Expected(Error error) : has_value_(false), error_(std::move(error)) {       // NOLINT
    WEFT_ASSERT(!error_.ok());
  }
  Expected(Expected&& other) noexcept : has_value_(other.has_value_) {
    if (has_value_) {
      new (&value_) T(std::move(other.value_));
    } else {
      error_ = std::move(other.error_);
    }
  }
  Expected& operator=(Expected&& other) noexcept {
    if (this != &other) {
      this->~Expected();
      new (this) Expected(std::move(other));
    }
    return *this;
  }
  ~Expected() {
    if (has_value_) value_.~T();
  }

  bool ok() const { return has_value_; }
  explicit operator bool() const { return has_value_; }
  T& value() & {
    WEFT_ASSERT(has_value_);
    return value_;
  }
  const T& value() const& {
    WEFT_ASSERT(has_value_);
    return value_;
  }
  T&& value() && {
    WEFT_ASSERT(has_value_);
    return std::move(value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }
  Error take_error() { return std::move(error_); }

 private:
  bool has_value_;
  union {
    T value_;
  };
  Error error_;
};

}  // namespace weft

#define WEFT_CONCAT_INNER(a, b) a##b
#define WEFT_CONCAT(a, b) WEFT_CONCAT_INNER(a, b)

/// Evaluates an Error-returning expression and returns the error from the enclosing function.
#define WEFT_TRY(expr)                          \
  do {                                          \
    ::weft::Error weft_try_err_ = (expr);       \
    if (!weft_try_err_.ok()) return weft_try_err_; \
  } while (0)

/// `WEFT_TRY_ASSIGN(auto x, ExpectedExpr)`: binds the value or returns the error.
#define WEFT_TRY_ASSIGN(decl, expr) WEFT_TRY_ASSIGN_IMPL(WEFT_CONCAT(weft_exp_, __LINE__), decl, expr)
#define WEFT_TRY_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
