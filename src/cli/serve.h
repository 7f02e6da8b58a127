// `weft serve`: serves a wasi:http component over HTTP/1.1 (serve.cc). The options mirror
// `wasmtime serve` where it has them (DESIGN.md section 5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::cli {

struct ServeOptions {
  std::string file;                  ///< The component.
  std::string addr = "127.0.0.1:8080";
  uint32_t threads = 0;              ///< Event loops; 0: one per core.
  uint32_t max_instance_reuse_count = 1;
  uint32_t max_instance_concurrent_reuse_count = 1;
  std::string idle_instance_timeout = "1s";
  std::optional<std::string> request_timeout;
  uint32_t max_concurrent_requests = 0;     ///< 0: unlimited.
  uint32_t max_concurrent_connections = 0;  ///< 0: unlimited.
  uint64_t max_header_size = 64 * 1024;
  uint64_t max_body_size = 64ull << 20;
  std::string header_read_timeout = "10s";
  std::string shutdown_grace = "10s";
  std::optional<uint64_t> max_memory_size;  ///< Per linear memory of each instance.
  std::vector<std::string> envs;
  std::vector<std::string> dirs;
  std::vector<std::string> allow_outbound;
  bool inherit_network = false;
  bool quiet = false;
  std::optional<std::string> metrics_addr;
};

/// Serves until SIGINT/SIGTERM; returns the process exit code (0 after a graceful stop).
int ServeMain(const ServeOptions& options);

}  // namespace weft::cli
