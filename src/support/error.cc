// Error formatting and the assertion failure path.
#include "weft/error.h"

#include <cstdio>
#include <cstdlib>

namespace weft {

void AssertFail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "weft: internal error: assertion `%s` failed at %s:%d\n", expr, file, line);
  std::abort();
}

std::string Error::ToString() const {
  if (!info_) return "ok";
  std::string s = info_->message;
  if (info_->offset != kNoOffset || info_->func_index != kNoIndex) {
    s += " (at";
    if (info_->offset != kNoOffset) {
      char buf[40];
      std::snprintf(buf, sizeof buf, " byte offset 0x%llx", static_cast<unsigned long long>(info_->offset));
      s += buf;
    }
    if (info_->func_index != kNoIndex) {
      if (info_->offset != kNoOffset) s += ",";
      s += " function " + std::to_string(info_->func_index);
    }
    s += ")";
  }
  return s;
}

}  // namespace weft
