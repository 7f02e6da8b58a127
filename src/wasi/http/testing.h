// Test doubles for the wasi:http host tests: a BodyReader fed piece by piece on the event
// loop, a BodyWriter recording what it is given (with a settable capacity), and a
// ResponseSink recording Start/Fail. Header-only, used by *_test.cc only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"

namespace weft::wasi::http::testing {

using ::weft::http::BodyStatus;
using ::weft::http::Headers;

class FakeReader final : public ::weft::http::BodyReader {
 public:
  /// Makes `piece` available (and wakes a waiter).
  void Push(std::string piece) {
    pieces_.push_back(std::move(piece));
    Wake();
  }
  void End(Headers trailers = {}) {
    ended_ = true;
    trailers_ = std::move(trailers);
    Wake();
  }
  void FailWith(std::string m) {
    failed_ = std::move(m);
    Wake();
  }
  BodyStatus Read(size_t max, std::vector<uint8_t>& out) override {
    ++reads;
    size_t copied = 0;
    while (max > 0 && !pieces_.empty()) {
      std::string& p = pieces_.front();
      size_t n = std::min(max, p.size());
      out.insert(out.end(), p.begin(), p.begin() + static_cast<ptrdiff_t>(n));
      p.erase(0, n);
      max -= n;
      copied += n;
      if (p.empty()) pieces_.pop_front();
    }
    if (copied > 0) return BodyStatus::Ok();
    if (failed_) return BodyStatus::Failed(*failed_);
    if (ended_) return BodyStatus::End();
    return BodyStatus::Ok();
  }
  void Wait(std::function<void()> wake) override { wake_ = std::move(wake); }
  Headers Trailers() override { return trailers_; }
  std::optional<uint64_t> content_length() const override { return std::nullopt; }
  int reads = 0;

 private:
  void Wake() {
    if (auto w = std::move(wake_)) {
      wake_ = nullptr;
      w();
    }
  }
  std::deque<std::string> pieces_;
  bool ended_ = false;
  std::optional<std::string> failed_;
  Headers trailers_;
  std::function<void()> wake_;
};

class FakeWriter final : public ::weft::http::BodyWriter {
 public:
  size_t Capacity() override { return failed_ ? 0 : capacity; }
  BodyStatus Write(std::span<const uint8_t> bytes) override {
    if (failed_) return BodyStatus::Failed("peer gone");
    if (bytes.size() > capacity) return BodyStatus::Failed("write beyond capacity");
    body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    ++writes;
    if (!drains) capacity -= bytes.size();
    return BodyStatus::Ok();
  }
  void Wait(std::function<void()> wake) override { wake_ = std::move(wake); }
  BodyStatus Finish(Headers t) override {
    finished = true;
    trailers = std::move(t);
    return BodyStatus::Ok();
  }
  void Abort(std::string reason) override { aborted = reason.empty() ? "aborted" : reason; }
  bool failed() const override { return failed_; }

  /// Sets the room left and wakes a waiting pump.
  void SetCapacity(size_t c) {
    capacity = c;
    if (auto w = std::move(wake_)) {
      wake_ = nullptr;
      w();
    }
  }
  void GoAway() {
    failed_ = true;
    if (auto w = std::move(wake_)) {
      wake_ = nullptr;
      w();
    }
  }
  bool waiting() const { return static_cast<bool>(wake_); }

  /// Room for Write; with `drains` false every write uses it up (a peer that is not
  /// reading), else it stays (a peer that keeps up).
  size_t capacity = 1 << 20;
  bool drains = true;
  std::string body;
  int writes = 0;
  bool finished = false;
  Headers trailers;
  std::optional<std::string> aborted;

 private:
  bool failed_ = false;
  std::function<void()> wake_;
};

class FakeSink final : public ::weft::http::ResponseSink {
 public:
  std::shared_ptr<::weft::http::BodyWriter> Start(::weft::http::ResponseHead h) override {
    ++starts;
    head = std::move(h);
    return writer;
  }
  void Fail(uint16_t status, std::string message) override {
    ++fails;
    fail_status = status;
    fail_message = std::move(message);
  }
  bool started() const override { return starts > 0; }
  void SetInstanceId(uint64_t id) override { instance_id = id; }

  std::string Header(const std::string& name) const {
    if (!head) return {};
    for (const auto& [k, v] : head->headers) {
      if (k == name) return v;
    }
    return {};
  }

  std::shared_ptr<FakeWriter> writer = std::make_shared<FakeWriter>();
  std::optional<::weft::http::ResponseHead> head;
  int starts = 0;
  int fails = 0;
  uint16_t fail_status = 0;
  std::string fail_message;
  uint64_t instance_id = 0;
};

}  // namespace weft::wasi::http::testing
