// Sandbox escape attempts from a preopened directory: each must be refused. Prints one
// verdict per attempt ("refused" whatever the errno; "ESCAPED" if the host file was reached).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void Attempt(const char* what, const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    printf("%s: ESCAPED (opened %s)\n", what, path);
    check_failures++;
    close(fd);
  } else {
    printf("%s: refused\n", what);
  }
}

static void StatAttempt(const char* what, const char* path) {
  struct stat st;
  if (stat(path, &st) == 0) {
    printf("%s: ESCAPED (stat %s)\n", what, path);
    check_failures++;
  } else {
    printf("%s: refused\n", what);
  }
}

int main(void) {
  // The driver puts secret.txt next to (outside) the preopened directory.
  Attempt("dot-dot", "sandbox/../secret.txt");
  Attempt("deep dot-dot", "sandbox/sub/../../secret.txt");
  Attempt("absolute path", "/etc/passwd");
  Attempt("absolute host path of the secret", "/secret.txt");
  StatAttempt("stat dot-dot", "sandbox/..");
  // Symlinks planted by the guest itself.
  int made = symlink("..", "sandbox/up") == 0;
  Attempt("symlink to parent", "sandbox/up/secret.txt");
  int abs_made = symlink("/etc", "sandbox/etc") == 0;
  Attempt("absolute symlink", "sandbox/etc/passwd");
  symlink("/", "sandbox/root");
  Attempt("symlink to /", "sandbox/root/etc/passwd");
  symlink("sub/../../secret.txt", "sandbox/sneaky");
  Attempt("symlink with dot-dot", "sandbox/sneaky");
  symlink("loop2", "sandbox/loop1");
  symlink("loop1", "sandbox/loop2");
  Attempt("symlink loop", "sandbox/loop1");
  // The fixture's symlink planted by the host: sandbox/host-link -> ../secret.txt.
  Attempt("host-planted symlink", "sandbox/host-link");
  // Renaming or linking out of the sandbox.
  printf("rename out: %s\n", rename("sandbox/sub/file.txt", "sandbox/../stolen.txt") == 0 ? "ESCAPED" : "refused");
  printf("mkdir outside: %s\n", mkdir("sandbox/../newdir", 0755) == 0 ? "ESCAPED" : "refused");
  // Control: inside the sandbox everything still works, through `..` and symlinks too.
  int fd = open("sandbox/sub/../sub/file.txt", O_RDONLY);
  CHECK(fd >= 0);
  if (fd >= 0) close(fd);
  CHECK(symlink("sub/file.txt", "sandbox/ok-link") == 0);
  fd = open("sandbox/ok-link", O_RDONLY);
  CHECK(fd >= 0);
  if (fd >= 0) close(fd);
  printf("inside the sandbox: files reachable\n");
  unlink("sandbox/ok-link");
  (void)made;
  (void)abs_made;
  unlink("sandbox/up");
  unlink("sandbox/etc");
  unlink("sandbox/root");
  unlink("sandbox/sneaky");
  unlink("sandbox/loop1");
  unlink("sandbox/loop2");
  DONE();
}
