// Store teardown: the interpreter's execution state goes first, then (by member order) the
// instances, globals, tables, memories and functions.
#include "runtime/objects.h"

namespace weft::runtime {

Store::~Store() {
  if (exec != nullptr && destroy_exec != nullptr) destroy_exec(exec);
  exec = nullptr;
}

}  // namespace weft::runtime
