// Files in a preopened directory (guest name "sandbox"): create, write, read, seek, pread,
// pwrite, append, truncate, stat, readdir, rename, link, symlink, readlink, unlink, mkdir,
// rmdir, utimes, and the errors for the common mistakes.
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static void ListDir(const char* path) {
  DIR* d = opendir(path);
  CHECK(d != NULL);
  if (!d) return;
  char names[64][64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n < 64) {
      snprintf(names[n], sizeof names[n], "%s%s", e->d_name,
               e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : "");
      ++n;
    }
  }
  closedir(d);
  // Sort: directory order differs between hosts.
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (strcmp(names[i], names[j]) > 0) {
        char t[64];
        strcpy(t, names[i]);
        strcpy(names[i], names[j]);
        strcpy(names[j], t);
      }
  printf("%s:", path);
  for (int i = 0; i < n; ++i) printf(" %s", names[i]);
  printf("\n");
}

static long long FileSize(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  return (long long)st.st_size;
}

int main(void) {
  ListDir("sandbox");
  // The fixture file.
  FILE* f = fopen("sandbox/input.txt", "r");
  CHECK(f != NULL);
  char line[256];
  while (f && fgets(line, sizeof line, f)) printf("input: %s", line);
  if (f) fclose(f);

  // Create, write, seek, read back.
  int fd = open("sandbox/new.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK(fd >= 0);
  const char* text = "0123456789abcdef";
  CHECK(write(fd, text, 16) == 16);
  CHECK(lseek(fd, 0, SEEK_CUR) == 16);
  CHECK(lseek(fd, 4, SEEK_SET) == 4);
  char buf[64] = {0};
  CHECK(read(fd, buf, 4) == 4);
  printf("read at 4: %s\n", buf);
  CHECK(lseek(fd, -3, SEEK_END) == 13);
  memset(buf, 0, sizeof buf);
  CHECK(read(fd, buf, 10) == 3);
  printf("read at end-3: %s\n", buf);
  CHECK(read(fd, buf, 10) == 0);
  CHECK(pwrite(fd, "XY", 2, 8) == 2);
  memset(buf, 0, sizeof buf);
  CHECK(pread(fd, buf, 6, 6) == 6);
  printf("pread: %s\n", buf);
  CHECK(lseek(fd, 0, SEEK_CUR) == 16);  // pread/pwrite leave the offset alone
  CHECK(ftruncate(fd, 10) == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  printf("size after truncate: %lld, regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  CHECK(fsync(fd) == 0);
  CHECK(fdatasync(fd) == 0);
  CHECK(close(fd) == 0);
  CHECK(close(fd) == -1 && errno == EBADF);

  // Append mode.
  f = fopen("sandbox/new.txt", "a");
  CHECK(f != NULL);
  fputs("+tail", f);
  fclose(f);
  f = fopen("sandbox/new.txt", "r");
  memset(buf, 0, sizeof buf);
  CHECK(fread(buf, 1, sizeof buf - 1, f) == 15);
  fclose(f);
  printf("after append: %s\n", buf);

  // Errors.
  CHECK(open("sandbox/missing.txt", O_RDONLY) == -1 && errno == ENOENT);
  CHECK(open("sandbox/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
  CHECK(open("sandbox/new.txt/x", O_RDONLY) == -1 && errno == ENOTDIR);
  CHECK(mkdir("sandbox/new.txt", 0755) == -1 && errno == EEXIST);

  // Directories.
  CHECK(mkdir("sandbox/dir", 0755) == 0);
  CHECK(mkdir("sandbox/dir/sub", 0755) == 0);
  f = fopen("sandbox/dir/sub/deep.txt", "w");
  CHECK(f != NULL);
  fputs("deep\n", f);
  fclose(f);
  CHECK(rmdir("sandbox/dir") == -1 && errno == ENOTEMPTY);
  stat("sandbox/dir", &st);
  CHECK(S_ISDIR(st.st_mode));
  ListDir("sandbox/dir");

  // Rename, link, symlink, readlink.
  CHECK(rename("sandbox/new.txt", "sandbox/dir/renamed.txt") == 0);
  CHECK(FileSize("sandbox/new.txt") == -1 && errno == ENOENT);
  printf("renamed size: %lld\n", FileSize("sandbox/dir/renamed.txt"));
  CHECK(link("sandbox/dir/renamed.txt", "sandbox/hard.txt") == 0);
  CHECK(stat("sandbox/hard.txt", &st) == 0);
  printf("hard link count: %d\n", (int)st.st_nlink);
  CHECK(symlink("dir/renamed.txt", "sandbox/sym.txt") == 0);
  char target[256] = {0};
  ssize_t tn = readlink("sandbox/sym.txt", target, sizeof target - 1);
  CHECK(tn == 15);
  printf("readlink: %s\n", target);
  CHECK(lstat("sandbox/sym.txt", &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(stat("sandbox/sym.txt", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 15);
  f = fopen("sandbox/sym.txt", "r");
  CHECK(f != NULL);
  memset(buf, 0, sizeof buf);
  if (f) {
    CHECK(fread(buf, 1, sizeof buf - 1, f) == 15);
    fclose(f);
  }
  printf("through symlink: %s\n", buf);
  CHECK(symlink("dangling-target", "sandbox/dangling") == 0);
  CHECK(open("sandbox/dangling", O_RDONLY) == -1 && errno == ENOENT);
  ListDir("sandbox");

  // Times.
  struct timeval tv[2] = {{1000000000, 0}, {1234567890, 0}};  // node truncates sub-second times
  CHECK(utimes("sandbox/hard.txt", tv) == 0);
  CHECK(stat("sandbox/hard.txt", &st) == 0);
  printf("mtime: %lld.%06ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000);
  printf("atime: %lld\n", (long long)st.st_atim.tv_sec);

  // Cleanup.
  CHECK(unlink("sandbox/sym.txt") == 0);
  CHECK(unlink("sandbox/dangling") == 0);
  CHECK(unlink("sandbox/hard.txt") == 0);
  CHECK(unlink("sandbox/dir/renamed.txt") == 0);
  CHECK(unlink("sandbox/dir/sub/deep.txt") == 0);
  CHECK(unlink("sandbox/dir/sub") == -1);
  CHECK(rmdir("sandbox/dir/sub") == 0);
  CHECK(rmdir("sandbox/dir") == 0);
  CHECK(rmdir("sandbox/dir") == -1 && errno == ENOENT);
  ListDir("sandbox");

  // Leave one file behind: the driver compares the final directory trees too.
  f = fopen("sandbox/output.txt", "w");
  fprintf(f, "written by the guest\n");
  fclose(f);
  DONE();
}
