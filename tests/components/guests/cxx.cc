// A C++ guest: iostreams, strings, containers, algorithms, and files in a preopened dir
// (through <cstdio>: Debian's wasm32 libc++ is built without <fstream>).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::sort(args.begin(), args.end());
  std::cout << "sorted args:";
  for (const auto& a : args) std::cout << ' ' << a;
  std::cout << '\n';

  using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;
  std::map<std::string, int> counts;
  File in(std::fopen("sandbox/input.txt", "r"), &std::fclose);
  if (!in) {
    std::cerr << "cannot open sandbox/input.txt\n";
    return 1;
  }
  std::string text;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in.get())) > 0) text.append(buf, n);
  std::istringstream words(text);
  std::string word;
  while (words >> word) ++counts[word];
  for (const auto& [w, c] : counts) std::cout << w << ": " << c << '\n';

  std::vector<int> v(20);
  std::iota(v.begin(), v.end(), 1);
  long long sum = std::accumulate(v.begin(), v.end(), 0LL);
  std::cout << "sum 1..20 = " << sum << '\n';

  {
    std::ostringstream out;
    out << "line one\n" << 42 << ' ' << 3.5 << '\n';
    File f(std::fopen("sandbox/cxx-out.txt", "w"), &std::fclose);
    std::fputs(out.str().c_str(), f.get());
  }
  File back(std::fopen("sandbox/cxx-out.txt", "r"), &std::fclose);
  std::string round;
  while ((n = std::fread(buf, 1, sizeof buf, back.get())) > 0) round.append(buf, n);
  std::cout << "round trip: " << round;
  // Lines from stdin (the driver feeds three).
  std::vector<std::string> lines;
  for (std::string line; std::getline(std::cin, line);) lines.push_back(line);
  std::cout << "stdin lines: " << lines.size();
  if (!lines.empty()) {
    std::string last = lines.back();
    std::reverse(last.begin(), last.end());
    std::cout << ", last reversed: " << last;
  }
  std::cout << '\n';

  std::random_device rd;
  unsigned a = rd(), b = rd(), c = rd();
  std::cout << "random_device varies: " << ((a != b || b != c) ? "yes" : "no") << '\n';
  auto t0 = std::chrono::steady_clock::now();
  auto wall = std::chrono::system_clock::now().time_since_epoch();
  std::cout << "steady_clock ok: " << (std::chrono::steady_clock::now() >= t0 ? "yes" : "no")
            << ", system_clock after 2020: "
            << (std::chrono::duration_cast<std::chrono::seconds>(wall).count() > 1577836800 ? "yes" : "no")
            << '\n';
  std::cerr << "cxx done\n";
  return 0;
}
