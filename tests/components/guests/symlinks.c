// Symlinks followed inside the sandbox: relative targets in subdirectories, `..` inside
// targets, chains, links to directories, and lstat/readlink on each. (Checked against the
// golden output only: node 20's uvwasi fails to follow `..` targets inside a preopen.)
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void Read(const char* path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: %s\n", path, strerror(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
  printf("%s: %s\n", path, buf);
}

int main(void) {
  CHECK(mkdir("sandbox/a", 0755) == 0);
  CHECK(mkdir("sandbox/a/b", 0755) == 0);
  FILE* f = fopen("sandbox/a/b/leaf.txt", "w");
  fputs("leaf\n", f);
  fclose(f);
  CHECK(symlink("../input.txt", "sandbox/sub/up-input") == 0);
  CHECK(symlink("a/b", "sandbox/to-b") == 0);
  CHECK(symlink("to-b/leaf.txt", "sandbox/chain1") == 0);
  CHECK(symlink("chain1", "sandbox/chain2") == 0);
  CHECK(symlink("../../sub/file.txt", "sandbox/a/b/back") == 0);
  CHECK(symlink("b/../b/leaf.txt", "sandbox/a/dotted") == 0);
  Read("sandbox/sub/up-input");
  Read("sandbox/to-b/leaf.txt");
  Read("sandbox/chain2");
  Read("sandbox/to-b/back");
  Read("sandbox/a/dotted");
  Read("sandbox/to-b/../../input.txt");  // `..` after a symlinked directory: physical parent
  struct stat st;
  CHECK(lstat("sandbox/chain2", &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(stat("sandbox/chain2", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
  CHECK(stat("sandbox/to-b", &st) == 0 && S_ISDIR(st.st_mode));
  char target[64] = {0};
  CHECK(readlink("sandbox/chain2", target, sizeof target) == 6);
  printf("chain2 -> %s\n", target);
  // O_NOFOLLOW on a symlink fails with ELOOP.
  CHECK(open("sandbox/chain1", O_RDONLY | O_NOFOLLOW) == -1 && errno == ELOOP);
  // Writing through a symlink changes the target.
  f = fopen("sandbox/chain2", "a");
  CHECK(f != NULL);
  if (f) {
    fputs("more\n", f);
    fclose(f);
  }
  CHECK(stat("sandbox/a/b/leaf.txt", &st) == 0 && st.st_size == 10);
  // Unlinking a link leaves the target.
  CHECK(unlink("sandbox/chain2") == 0);
  CHECK(stat("sandbox/chain1", &st) == 0);
  DONE();
}
