// Tests of LogWriter: text arrives whole and in order (also from several threads), the
// destructor writes everything queued, a descriptor nobody reads never blocks Write (text
// beyond the bound is dropped, counted and reported once the reader drains).
#include "cli/log_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace weft::cli {
namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  std::string ReadAll() {  // after the write end is closed
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(r, buf, sizeof buf);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }
};

TEST(LogWriter, LinesFromSeveralThreadsArriveWholeAndInOrderPerThread) {
  Pipe p;
  std::string got;
  std::thread reader([&] { got = p.ReadAll(); });
  {
    LogWriter log(p.w);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 2000; ++i) {
          log.Write("thread " + std::to_string(t) + " line " + std::to_string(i) + "\n");
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(log.dropped(), 0u);
  }  // flushes
  ::close(p.w);
  p.w = -1;
  reader.join();
  std::istringstream in(got);
  std::string line;
  std::vector<int> next(4, 0);
  size_t lines = 0;
  while (std::getline(in, line)) {
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "thread %d line %d", &t, &i), 2) << line;
    ASSERT_TRUE(t >= 0 && t < 4) << line;
    EXPECT_EQ(i, next[static_cast<size_t>(t)]) << "out of order: " << line;
    next[static_cast<size_t>(t)] = i + 1;
    ++lines;
  }
  EXPECT_EQ(lines, 8000u);
}

TEST(LogWriter, UnreadDescriptorNeverBlocksAndDropsAreReported) {
  Pipe p;
  ::fcntl(p.w, F_SETPIPE_SZ, 4096);
  LogWriter* log = new LogWriter(p.w, /*max_queued=*/64 * 1024);
  std::string line(99, 'x');
  line += '\n';
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) log->Write(line);  // 1 MB into a 4 KiB pipe nobody reads
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  uint64_t dropped = log->dropped();
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(dropped % line.size(), 0u);  // whole writes are dropped, never parts
  std::string got;
  std::thread reader([&] { got = p.ReadAll(); });
  delete log;  // the reader drains, so the flush completes
  ::close(p.w);
  p.w = -1;
  reader.join();
  // Drops are reported in one or more "[weft] N bytes of output dropped" lines (one per
  // batch that saw new drops); together they account for every dropped byte.
  std::istringstream in(got);
  std::string l, kept;
  uint64_t reported = 0;
  while (std::getline(in, l)) {
    unsigned long long n = 0;
    if (std::sscanf(l.c_str(), "[weft] %llu bytes of output dropped", &n) == 1) {
      reported += n;
    } else {
      kept += l + "\n";
    }
  }
  EXPECT_EQ(reported, dropped);
  EXPECT_EQ(kept.size() + dropped, line.size() * 10000);
  EXPECT_EQ(kept.find_first_not_of("x\n"), std::string::npos);
}

}  // namespace
}  // namespace weft::cli
