// proc_exit called directly with a code (no libc exit handlers, so unflushed stdio is lost
// by design): what was written with write(2) before it must arrive.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(int argc, char** argv) {
  int code = argc > 1 ? atoi(argv[1]) : 3;
  const char* msg = "before proc_exit\n";
  write(1, msg, strlen(msg));
  write(2, "stderr before proc_exit\n", 24);
  __wasi_proc_exit((__wasi_exitcode_t)code);
}
