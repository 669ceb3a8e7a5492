// HttpServer: the server's public face: listeners, starting the event loops and their request
// tasks, graceful stop, and the figures /metrics and the watchdog read.
#include "flashstor/net/http_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "flashstor/common/thread_name.h"
#include "flashstor/tls/tls_context.h"
#include "http_server_impl.h"

namespace flashstor::net {

// After the grace period, how long tasks get to give up on their clients and finish.
constexpr int64_t kStopTasksMs = 5000;

HttpServer::HttpServer(const ServerOptions& options, http::Handler& handler)
    : impl_(std::make_unique<Impl>(options, handler)) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (impl_->options.event_loops <= 0) impl_->options.event_loops = static_cast<int>(2 * cores);
  if (impl_->options.workers <= 0) impl_->options.workers = kDefaultWorkers;
}

HttpServer::~HttpServer() {
  stop(0);
}

void HttpServer::set_error_body(ErrorBodyFn fn) {
  impl_->error_body = std::move(fn);
}
void HttpServer::set_tick_hook(std::function<void(int)> fn) {
  impl_->tick_hook = std::move(fn);
}
void HttpServer::set_loop_responder(LoopResponder fn) {
  impl_->loop_responder = std::move(fn);
}
void HttpServer::set_tls(tls::TlsContext* context) {
  impl_->tls = context;
}
void HttpServer::release_cached_blocks() {
  for (const auto& lc : impl_->loops) lc->blocks.clear();
}

void HttpServer::release_cached_stacks(int loop_index) {
  impl_->loops.at(static_cast<size_t>(loop_index))->loop->scheduler().release_cached_stacks();
}

int HttpServer::event_loops() const {
  return impl_->options.event_loops;
}
int HttpServer::workers() const {
  return impl_->options.workers;
}

Status HttpServer::listen(std::string_view address, bool tls, int* bound_port) {
  Result<int> fd = BindListener(address, 4096);
  if (!fd) return fd.error();
  if (bound_port) *bound_port = LocalPort(*fd);
  return adopt_listener(*fd, tls);
}

Status HttpServer::adopt_listener(int fd, bool tls) {
  // Sockets handed over by systemd are blocking; the accept loop needs EAGAIN to stop.
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return StatusFromErrno(errno, "listener fcntl");
  }
  auto tag = std::make_unique<ListenerTag>();
  tag->kind = PollTag::kListener;
  tag->fd = fd;
  tag->tls = tls;
  impl_->listeners.push_back(std::move(tag));
  return Status::Ok();
}

Status HttpServer::start() {
  Impl& s = *impl_;
  int share = s.options.max_requests_per_client;
  if (share == 0) share = std::max(4, s.options.workers / 2);
  s.tasks = std::make_unique<RequestTasks>(
      static_cast<size_t>(s.options.workers), share, s.options.admission_timeout_ms, s.handler,
      s.options, [&s](Connection* c, AfterRequest next) { s.on_done(c, next); },
      [&s](Connection* c) { s.refuse_admission(c); },
      [](Connection* c, std::function<void()> fn) { c->loop->loop->post(std::move(fn)); },
      &s.cancel_waits);
  s.h2.options = &s.options;
  s.h2.handler = &s.handler;
  s.h2.tasks = s.tasks.get();
  s.h2.error_body = &s.error_body;
  s.h2.loop_responder = &s.loop_responder;
  s.h2.stopping = &s.stopping;
  s.h2.cancel_waits = &s.cancel_waits;
  s.h2.close = [&s](LoopContext& lc, Connection* c) { s.close_conn(lc, c); };
  for (int i = 0; i < s.options.event_loops; ++i) {
    auto lc = std::make_unique<LoopContext>();
    LoopContext* raw = lc.get();
    lc->loop = std::make_unique<EventLoop>(
        i, [&s, raw](void* data, uint32_t ev) { s.on_ready(*raw, data, ev); },
        [&s, raw](int64_t now) { s.on_tick(*raw, now); });
    FS_RETURN_IF_ERROR(lc->loop->init());
    for (auto& l : s.listeners) {
      FS_RETURN_IF_ERROR(lc->loop->add(l->fd, EPOLLIN | EPOLLEXCLUSIVE, l.get()));
    }
    s.loops.push_back(std::move(lc));
  }
  for (size_t i = 0; i < s.loops.size(); ++i) {
    LoopContext* raw = s.loops[i].get();
    raw->thread = std::thread([raw, i] {
      NameThisThread("fs-loop-" + std::to_string(i));
      raw->loop->run();
    });
  }
  return Status::Ok();
}

void HttpServer::stop(int grace_ms) {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  for (auto& lc : s.loops) {
    for (auto& l : s.listeners) lc->loop->del(l->fd);
  }
  for (auto& l : s.listeners) ::close(l->fd);
  if (s.tasks) {
    s.tasks->set_stopping();
    auto busy = [&s] { return s.tasks->running() + s.tasks->queued(); };
    int64_t until = MonotonicMs() + grace_ms;
    while (busy() > 0 && MonotonicMs() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Past the grace: tasks still waiting for slow clients give up; tasks waiting for their
    // disks finish (those waits have their own deadlines).
    s.cancel_waits = true;
    for (auto& lc : s.loops) {
      LoopContext* raw = lc.get();
      lc->loop->post([&s, raw] { s.cancel_client_waits(*raw); });
    }
    until = MonotonicMs() + kStopTasksMs;
    while (s.tasks->running() > 0 && MonotonicMs() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  for (auto& lc : s.loops) lc->loop->stop();
  for (auto& lc : s.loops) {
    if (lc->thread.joinable()) lc->thread.join();
  }
  for (auto& lc : s.loops) {
    lc->conns.for_each([&](Connection* c) {
      lc->conns.erase(c);
      delete c->h2;
      delete c->tls_conn;
      ::close(c->fd);
      delete c;
    });
  }
}

ServerStats HttpServer::stats() const {
  const Impl& s = *impl_;
  ServerStats st;
  st.accepted = s.accepted.load();
  st.active = s.active.load();
  st.rejected = s.rejected.load();
  st.head_timeouts = s.head_timeouts.load();
  st.idle_closed = s.idle_closed.load();
  st.early_errors = s.early_errors.load();
  st.requests = s.requests.load();
  for (const auto& lc : s.loops) {
    st.arena_bytes += (lc->blocks.in_use() + lc->blocks.cached()) * mem::Arena::kBlockSize;
    st.arena_blocks_in_use += lc->blocks.in_use();
  }
  st.loop_replies = s.loop_replies.load();
  st.http2_connections = s.h2.connections.load(std::memory_order_relaxed);
  st.http2_streams = s.h2.streams.load(std::memory_order_relaxed);
  st.http2_refused = s.h2.refused.load(std::memory_order_relaxed);
  st.http2_goaways = s.h2.goaways.load(std::memory_order_relaxed);
  if (s.tasks) {
    const RequestCounters& w = s.tasks->counters();
    st.queued = s.tasks->queued();
    st.tasks_running = s.tasks->running();
    st.busy_workers = st.tasks_running + st.queued;
    st.task_stack_bytes = task::SchedulerOptions{}.stack_bytes;
    st.client_share_waits = w.share_waits.load(std::memory_order_relaxed);
    st.admission_timeouts = w.admission_timeouts.load(std::memory_order_relaxed);
    st.completed = w.completed.load(std::memory_order_relaxed);
    st.cut_too_slow = w.cut_too_slow.load(std::memory_order_relaxed);
    st.cut_deadline = w.cut_deadline.load(std::memory_order_relaxed);
    st.cut_idle = w.cut_idle.load(std::memory_order_relaxed);
    st.requests_cancelled = w.cancelled.load(std::memory_order_relaxed);
  }
  return st;
}

RequestProgress HttpServer::progress() const {
  const Impl& s = *impl_;
  RequestProgress p;
  if (!s.tasks) return p;
  p.pending = s.tasks->queued();
  p.progress = s.tasks->counters().progress.load(std::memory_order_relaxed);
  return p;
}

}  // namespace flashstor::net
