// The preview1 functions wasi-libc rarely reaches, called directly through <wasi/api.h>,
// printing the returned errno numbers: advise, allocate, fdstat flags and rights, renumber,
// tell, sync, filestat set times/size, prestat, readdir cookies with small buffers, sched_yield,
// proc_raise, sockets, clock resolutions, and EFAULT for pointers outside linear memory.
// (Golden output only: node 20 reports host open flags in fdstat and EINVAL for prestat on
// stdio, where wasmtime and Weft give 0 and EBADF.)
#include <stdlib.h>
#include <wasi/api.h>

#include "check.h"

// proc_raise is gone from wasi-libc's header but still part of preview1.
int32_t RawProcRaise(int32_t sig)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")));

#define SHOW(call) printf("%-58s -> %d\n", #call, (int)(call))

static __wasi_fd_t FindPreopen(void) {
  for (__wasi_fd_t fd = 3; fd < 64; ++fd) {
    __wasi_prestat_t p;
    if (__wasi_fd_prestat_get(fd, &p) == 0) return fd;
  }
  return 0;
}

int main(void) {
  __wasi_fd_t dir = FindPreopen();
  CHECK(dir == 3);
  __wasi_prestat_t ps;
  SHOW(__wasi_fd_prestat_get(dir, &ps));
  printf("prestat tag %d, name length %lu\n", ps.tag, (unsigned long)ps.u.dir.pr_name_len);
  char name[32] = {0};
  SHOW(__wasi_fd_prestat_dir_name(dir, (uint8_t*)name, ps.u.dir.pr_name_len));
  printf("preopen name: %s\n", name);
  SHOW(__wasi_fd_prestat_get(0, &ps));
  SHOW(__wasi_fd_prestat_get(99, &ps));

  __wasi_fd_t fd;
  SHOW(__wasi_path_open(dir, 0, "raw.bin", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                        __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                            __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_ADVISE |
                            __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_GET |
                            __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_SYNC |
                            __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS |
                            __WASI_RIGHTS_FD_FILESTAT_SET_TIMES,
                        0, 0, &fd));
  __wasi_ciovec_t iov = {(const uint8_t*)"abcdefgh", 8};
  __wasi_size_t n = 0;
  SHOW(__wasi_fd_write(fd, &iov, 1, &n));
  printf("wrote %lu\n", (unsigned long)n);
  __wasi_filesize_t pos = 0;
  SHOW(__wasi_fd_tell(fd, &pos));
  printf("tell %llu\n", (unsigned long long)pos);
  SHOW(__wasi_fd_advise(fd, 0, 8, __WASI_ADVICE_SEQUENTIAL));
  SHOW(__wasi_fd_allocate(fd, 0, 100));
  __wasi_filestat_t st;
  SHOW(__wasi_fd_filestat_get(fd, &st));
  printf("size after allocate %llu, type %d\n", (unsigned long long)st.size, st.filetype);
  SHOW(__wasi_fd_filestat_set_size(fd, 4));
  SHOW(__wasi_fd_filestat_get(fd, &st));
  printf("size after set_size %llu\n", (unsigned long long)st.size);
  SHOW(__wasi_fd_filestat_set_times(fd, 5000000000ull, 7000000000ull,
                                    __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  SHOW(__wasi_fd_filestat_get(fd, &st));
  printf("atim %llu mtim %llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
  SHOW(__wasi_fd_sync(fd));
  SHOW(__wasi_fd_datasync(fd));
  __wasi_fdstat_t fs;
  SHOW(__wasi_fd_fdstat_get(fd, &fs));
  printf("fdstat type %d flags %d\n", fs.fs_filetype, fs.fs_flags);
  SHOW(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  SHOW(__wasi_fd_fdstat_get(fd, &fs));
  printf("flags after set: %d\n", fs.fs_flags);
  SHOW(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_TELL, 0));
  SHOW(__wasi_fd_write(fd, &iov, 1, &n));
  SHOW(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0));

  // Renumber onto another open fd, then use the new number.
  __wasi_fd_t fd2;
  SHOW(__wasi_path_open(dir, 0, "raw2.bin", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, 0, &fd2));
  SHOW(__wasi_fd_renumber(fd, fd2));
  SHOW(__wasi_fd_tell(fd2, &pos));
  SHOW(__wasi_fd_tell(fd, &pos));
  SHOW(__wasi_fd_close(fd2));
  SHOW(__wasi_fd_close(fd2));
  SHOW(__wasi_fd_renumber(50, 51));

  // Directory listing with cookies and a buffer too small for one entry.
  SHOW(__wasi_path_create_directory(dir, "list"));
  for (int i = 0; i < 5; ++i) {
    char p[32];
    snprintf(p, sizeof p, "list/file-%d-with-a-long-name", i);
    __wasi_fd_t f;
    if (__wasi_path_open(dir, 0, p, __WASI_OFLAGS_CREAT, 0, 0, 0, &f) != 0) continue;
    (void)__wasi_fd_close(f);
  }
  __wasi_fd_t ld;
  SHOW(__wasi_path_open(dir, 0, "list", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &ld));
  int entries = 0, calls = 0;
  __wasi_dircookie_t cookie = 0;
  for (;;) {
    uint8_t buf[64];
    __wasi_size_t used;
    if (__wasi_fd_readdir(ld, buf, sizeof buf, cookie, &used) != 0) break;
    ++calls;
    // Consume whole entries only; a truncated one is re-read from its cookie.
    __wasi_size_t at = 0;
    while (at + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + at, sizeof d);
      if (at + sizeof d + d.d_namlen > used) break;
      char nm[64] = {0};
      memcpy(nm, buf + at + sizeof d, d.d_namlen);
      if (strcmp(nm, ".") && strcmp(nm, "..")) ++entries;
      cookie = d.d_next;
      at += sizeof d + d.d_namlen;
    }
    if (used < sizeof buf) break;
    if (calls > 100) break;
  }
  printf("readdir with a 64-byte buffer: %d entries\n", entries);
  SHOW(__wasi_fd_readdir(ld, (uint8_t*)0, 0, 0, &n));
  SHOW(__wasi_fd_close(ld));

  // Path functions on the directory.
  __wasi_filestat_t pst;
  SHOW(__wasi_path_filestat_get(dir, 0, "list", &pst));
  printf("list is a directory: %d\n", pst.filetype == __WASI_FILETYPE_DIRECTORY);
  SHOW(__wasi_path_filestat_set_times(dir, 0, "raw.bin", 0, 9000000000ull, __WASI_FSTFLAGS_MTIM));
  SHOW(__wasi_path_filestat_get(dir, 0, "raw.bin", &pst));
  printf("mtim %llu\n", (unsigned long long)pst.mtim);
  SHOW(__wasi_path_filestat_get(dir, 0, "missing", &pst));
  SHOW(__wasi_path_remove_directory(dir, "list"));
  SHOW(__wasi_path_unlink_file(dir, "list"));
  SHOW(__wasi_path_create_directory(dir, "list"));
  SHOW(__wasi_path_link(dir, 0, "raw.bin", dir, "list/raw-link"));
  SHOW(__wasi_path_rename(dir, "list/raw-link", dir, "raw-moved"));
  SHOW(__wasi_path_symlink("raw-moved", dir, "sym"));
  char target[32] = {0};
  SHOW(__wasi_path_readlink(dir, "sym", (uint8_t*)target, sizeof target, &n));
  printf("readlink: %.*s (%lu)\n", (int)n, target, (unsigned long)n);
  SHOW(__wasi_path_unlink_file(dir, "sym"));
  SHOW(__wasi_path_unlink_file(dir, "raw-moved"));
  SHOW(__wasi_path_unlink_file(dir, "raw.bin"));
  SHOW(__wasi_path_unlink_file(dir, "raw2.bin"));

  // Misc.
  SHOW(__wasi_sched_yield());
  __wasi_timestamp_t res;
  SHOW(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
  SHOW(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res));
  SHOW(__wasi_clock_res_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, &res));
  SHOW(__wasi_clock_res_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, &res));
  SHOW(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &res));
  SHOW(__wasi_sock_shutdown(99, __WASI_SDFLAGS_WR));
  SHOW(__wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));
  SHOW(RawProcRaise(15));

  // Pointers beyond linear memory: EFAULT (21), no crash.
  uint8_t* far = (uint8_t*)0xFFFFFFF0u;
  SHOW(__wasi_random_get(far, 64));
  SHOW(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t*)far));
  __wasi_ciovec_t bad = {far, 64};
  SHOW(__wasi_fd_write(1, &bad, 1, &n));
  SHOW(__wasi_fd_write(1, (const __wasi_ciovec_t*)far, 1, &n));
  SHOW(__wasi_args_sizes_get((__wasi_size_t*)far, &n));
  DONE();
}
