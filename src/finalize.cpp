#include "pysock/finalize.hpp"

#include <cxxabi.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

// Data structures. Every registration is one heap node holding fn and args. An alive node is
// linked twice: into its object's list (newest first, headed by finalizable::registrations_)
// and into the process-wide registry ring (oldest to newest), which the exit run walks from the
// newest end. One mutex guards both kinds of links (and the error handler); it is held only for
// O(1) link changes (a destruction takes all of its object's nodes in one go) and never while a
// callback or the error handler runs, so callbacks may use finalizers freely. A node is alive
// exactly while it is linked; whoever flips `alive` under the lock owns the one run of its
// callback.
//
// fork(): nothing here may be left half-done in a child. The registry is constant-initialized
// (no initialization guard, which a fork during the first registrations would leave locked
// forever in the child), the hooks are installed without any once-flag (see
// ensure_process_hooks) and the fork handlers hold the lock across fork().

namespace pysock {
namespace detail {

struct access {
  static finalizer adopt(node* n) noexcept { return finalizer(n); }
  static finalizer share(node* n) noexcept {
    n->node_refs.fetch_add(1, std::memory_order_relaxed);
    return finalizer(n);
  }
  static node* node_of(const finalizer& f) noexcept { return f.node_; }
  static std::atomic<node*>& registrations(const finalizable& object) noexcept {
    return object.registrations_;
  }
};

namespace {

constexpr auto relaxed = std::memory_order_relaxed;
// Object-list links are written under the lock with release stores: an object whose list was
// emptied by another thread (a call or detach of its last registration) is then destroyed
// without the lock, after an acquire load of its empty head (finalizable::has_registrations).
constexpr auto publish = std::memory_order_release;

// Drops one reference; true when it was the last. New references are only ever taken from
// existing ones, so a count of 1 seen by a holder cannot grow: the last holder (the common
// case, e.g. destruction with the handle long gone) skips the read-modify-write.
bool release(std::atomic<std::uint32_t>& count) noexcept {
  return count.load(std::memory_order_acquire) == 1 ||
         count.fetch_sub(1, std::memory_order_acq_rel) == 1;
}

void release_node(node* n) noexcept {
  if (release(n->node_refs)) delete n;
}

void release_callback(node* n) noexcept {
  if (release(n->callback_refs)) {
    n->destroy_callback();
    release_node(n);
  }
}

// A counted reference to a node's fn and args that calls them: what peek() and detach() return.
class callback_ref {
 public:
  explicit callback_ref(node* adopted) noexcept : node_(adopted) {}
  callback_ref(const callback_ref& other) noexcept : node_(other.node_) {
    node_->callback_refs.fetch_add(1, relaxed);
  }
  callback_ref& operator=(const callback_ref&) = delete;
  ~callback_ref() { release_callback(node_); }

  void operator()() const { node_->invoke(); }

 private:
  node* node_;
};

// ---------------------------------------------------------------------------------------------
// The registry.

enum class exit_run { not_started, running, done };

struct registry {
  std::mutex lock;
  // Alive registrations the exit run has not visited yet; newest at pending.older.
  registry_links pending{&pending, &pending};
  // Alive registrations the exit run passed over because their atexit() was false.
  registry_links parked{&parked, &parked};
  // Written under the lock; waited on without it.
  std::atomic<exit_run> exit_state{exit_run::not_started};
  // The installed error handler; null means the default one.
  std::shared_ptr<const finalizer_error_handler> error_handler;
};

// Never destroyed: finalizers run from the std::atexit hook and from static destructors.
union registry_storage {
  constexpr registry_storage() : value() {}
  ~registry_storage() {}
  registry value;
};
constinit registry_storage storage;

registry& the_registry() noexcept {
  return storage.value;
}

// Whether this thread is running the exit run (so that a callback's own call returns at once).
thread_local bool running_exit_here = false;

void link_newest(registry_links& ring, registry_links& n) noexcept {
  n.older = ring.older;
  n.newer = &ring;
  ring.older->newer = &n;
  ring.older = &n;
}

void unlink(registry_links& n) noexcept {
  n.older->newer = n.newer;
  n.newer->older = n.older;
}

void push_on_object(std::atomic<node*>& head, node& n) noexcept {
  node* const first = head.load(relaxed);
  n.next_on_object.store(first, publish);
  n.link_to_this = &head;
  if (first != nullptr) first->link_to_this = &n.next_on_object;
  head.store(&n, publish);
}

void unlink_from_object(node& n) noexcept {
  node* const next = n.next_on_object.load(relaxed);
  n.link_to_this->store(next, publish);
  if (next != nullptr) next->link_to_this = n.link_to_this;
}

// Empties an object list and returns its first node. A load and a store, no exchange: only
// lock holders write list heads.
node* take_object_list(std::atomic<node*>& head) noexcept {
  node* const first = head.load(relaxed);
  head.store(nullptr, publish);
  return first;
}

// Moves a whole object list onto an empty head (the registrations follow the resource).
void move_object_list(std::atomic<node*>& from, std::atomic<node*>& to) noexcept {
  node* const first = take_object_list(from);
  to.store(first, publish);
  if (first != nullptr) first->link_to_this = &to;
}

// Marks `n` dead and takes it out of the registry ring: the caller now owns the callback
// reference the registration held. The object list is the caller's business.
void kill(node& n) noexcept {
  n.alive.store(false, std::memory_order_release);
  unlink(n);
}

// Whether a callback claimed now may still run (Python's `not _shutdown`).
bool may_run(const registry& r) noexcept {
  return r.exit_state.load(relaxed) != exit_run::done;
}

// All registrations of one object, claimed together, newest first (linked by next_on_object).
struct claimed_list {
  node* first = nullptr;
  bool run = false;
};

claimed_list claim_all(registry& r, std::atomic<node*>& head) noexcept {
  node* const first = take_object_list(head);
  for (node* n = first; n != nullptr; n = n->next_on_object.load(relaxed))
    kill(*n);
  return {first, may_run(r)};
}

enum class claim { lost, run, silent };

// Claims one registration for an explicit call or detach().
claim claim_one(node& n) {
  auto& r = the_registry();
  std::lock_guard guard(r.lock);
  if (!n.alive.load(relaxed)) return claim::lost;
  kill(n);
  unlink_from_object(n);
  return may_run(r) ? claim::run : claim::silent;
}

// ---------------------------------------------------------------------------------------------
// Errors of automatic runs.

struct free_deleter {
  void operator()(char* p) const noexcept { std::free(p); }
};

std::string type_name(const std::type_info& type) {
  int status = 0;
  const std::unique_ptr<char, free_deleter> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status));
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

std::string address_text(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", p);
  return text;
}

// "std::runtime_error: boom", like the last line of a Python traceback.
std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return type_name(typeid(e)) + ": " + e.what();
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    return type != nullptr ? type_name(*type) : std::string("unknown exception");
  }
}

void print_finalizer_error(const finalizer& which, std::exception_ptr error) {
  const node* n = access::node_of(which);
  const std::string name =
      n != nullptr ? "finalizer for '" + type_name(*n->target_type) + "' at " + address_text(n)
                   : std::string("an empty finalizer");
  const std::string line = "Exception ignored in " + name + ": " + describe(error) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write, so lines of threads stay whole
}

void report(node& n, std::exception_ptr error) noexcept {
  try {
    std::shared_ptr<const finalizer_error_handler> handler;
    {
      auto& r = the_registry();
      std::lock_guard guard(r.lock);
      handler = r.error_handler;
    }
    if (handler)
      (*handler)(access::share(&n), error);
    else
      print_finalizer_error(access::share(&n), error);
  } catch (...) {  // the handler's own failure has nowhere to go
  }
}

// Runs the callback of a node claimed by an automatic run, then drops the claim.
void run_claimed(node& n, bool run) noexcept {
  if (run) {
    try {
      n.invoke();
    } catch (...) {
      report(n, std::current_exception());
    }
  }
  release_callback(&n);
}

void run_claimed(claimed_list list) noexcept {
  for (node* n = list.first; n != nullptr;) {
    node* const next = n->next_on_object.load(relaxed);
    run_claimed(*n, list.run);
    n = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Process hooks, installed with the first registration.

// Whether this thread took the lock in lock_for_fork (the handlers may be registered more than
// once, see ensure_process_hooks, and must then act once).
thread_local bool holds_lock_for_fork = false;

void lock_for_fork() {
  if (holds_lock_for_fork) return;
  the_registry().lock.lock();
  holds_lock_for_fork = true;
}

void unlock_in_parent() {
  if (!holds_lock_for_fork) return;
  holds_lock_for_fork = false;
  the_registry().lock.unlock();
}

// The child inherits the pending registrations. If another thread was in the middle of the exit
// run, that thread does not exist here: the child gets its own exit run for what is pending.
void unlock_in_child() {
  if (!holds_lock_for_fork) return;
  auto& r = the_registry();
  if (r.exit_state.load(relaxed) == exit_run::running && !running_exit_here)
    r.exit_state.store(exit_run::not_started, relaxed);
  holds_lock_for_fork = false;
  r.lock.unlock();
}

std::atomic<bool> hooks_installed{false};

// Installs the std::atexit hook and the fork handlers with the first registration. Like CPython,
// threads racing the first registration may each install them, which is harmless (the exit
// run happens once, the fork handlers act once); a once-flag or lock could instead be left
// "in progress" forever in a child forked meanwhile.
void ensure_process_hooks() {
  if (hooks_installed.load(std::memory_order_acquire)) return;
  if (std::atexit(run_exit_finalizers) != 0 ||
      ::pthread_atfork(lock_for_fork, unlock_in_parent, unlock_in_child) != 0)
    throw std::runtime_error("pysock::finalize: cannot install the exit and fork hooks");
  hooks_installed.store(true, std::memory_order_release);
}

}  // namespace

finalizer attach(const finalizable& target, node* n) {
  try {
    ensure_process_hooks();
  } catch (...) {
    n->destroy_callback();
    delete n;
    throw;
  }
  auto& r = the_registry();
  {
    std::lock_guard guard(r.lock);
    link_newest(r.pending, *n);
    push_on_object(access::registrations(target), *n);
  }
  return access::adopt(n);
}

}  // namespace detail

using detail::access;
using detail::callback_ref;
using detail::exit_run;
using detail::the_registry;

// ---------------------------------------------------------------------------------------------
// finalizable

void finalizable::take_registrations(finalizable& other) noexcept {
  auto& r = the_registry();
  std::lock_guard guard(r.lock);
  detail::move_object_list(other.registrations_, registrations_);
}

void finalizable::replace_registrations(finalizable& other) noexcept {
  auto& r = the_registry();
  detail::claimed_list replaced;
  {
    std::lock_guard guard(r.lock);
    replaced = detail::claim_all(r, registrations_);
    detail::move_object_list(other.registrations_, registrations_);
  }
  detail::run_claimed(replaced);
}

void finalizable::run_registrations() noexcept {
  auto& r = the_registry();
  detail::claimed_list registered;
  {
    std::lock_guard guard(r.lock);
    registered = detail::claim_all(r, registrations_);
  }
  detail::run_claimed(registered);
}

// ---------------------------------------------------------------------------------------------
// finalizer

finalizer::finalizer(const finalizer& other) noexcept : node_(other.node_) {
  if (node_ != nullptr) node_->node_refs.fetch_add(1, detail::relaxed);
}

finalizer::~finalizer() {
  if (node_ != nullptr) detail::release_node(node_);
}

bool finalizer::operator()() const {
  if (!alive()) return false;
  const detail::claim outcome = detail::claim_one(*node_);
  if (outcome == detail::claim::lost) return false;
  const callback_ref callback(node_);  // drops the claim even when fn throws
  if (outcome == detail::claim::silent) return false;
  callback();
  return true;
}

std::function<void()> finalizer::detach() const {
  if (!alive() || detail::claim_one(*node_) == detail::claim::lost) return {};
  return callback_ref(node_);
}

std::function<void()> finalizer::peek() const {
  if (!alive()) return {};
  {
    auto& r = the_registry();
    std::lock_guard guard(r.lock);  // so that no claim can drop fn and args meanwhile
    if (!node_->alive.load(detail::relaxed)) return {};
    node_->callback_refs.fetch_add(1, detail::relaxed);
  }
  return callback_ref(node_);
}

bool finalizer::alive() const noexcept {
  return node_ != nullptr && node_->alive.load(std::memory_order_acquire);
}

bool finalizer::atexit() const noexcept {
  return alive() && node_->run_at_exit.load(detail::relaxed);
}

void finalizer::atexit(bool enabled) const noexcept {
  if (alive()) node_->run_at_exit.store(enabled, detail::relaxed);
}

std::string finalizer::repr() const {
  std::string text = "<pysock.finalizer object at " + detail::address_text(node_);
  if (!alive()) return text + "; dead>";
  return text + "; for '" + detail::type_name(*node_->target_type) + "'>";
}

// ---------------------------------------------------------------------------------------------
// Exit run and error handler

void run_exit_finalizers() noexcept {
  if (detail::running_exit_here) return;  // called by a callback of the run
  auto& r = the_registry();
  std::unique_lock guard(r.lock);
  if (r.exit_state.load(detail::relaxed) != exit_run::not_started) {
    guard.unlock();
    for (auto state = r.exit_state.load(std::memory_order_acquire); state != exit_run::done;
         state = r.exit_state.load(std::memory_order_acquire))
      r.exit_state.wait(state);
    return;
  }
  r.exit_state.store(exit_run::running, detail::relaxed);
  detail::running_exit_here = true;
  // Always the newest pending registration, so one created by a callback runs next. Each step
  // removes one node from `pending`, so the run is linear in the number of registrations.
  while (r.pending.older != &r.pending) {
    auto& newest = static_cast<detail::node&>(*r.pending.older);
    if (!newest.run_at_exit.load(detail::relaxed)) {
      detail::unlink(newest);
      detail::link_newest(r.parked, newest);
      continue;
    }
    detail::kill(newest);
    detail::unlink_from_object(newest);
    guard.unlock();
    detail::run_claimed(newest, true);
    guard.lock();
  }
  r.exit_state.store(exit_run::done, std::memory_order_release);
  detail::running_exit_here = false;
  guard.unlock();
  r.exit_state.notify_all();
}

finalizer_error_handler set_finalizer_error_handler(finalizer_error_handler handler) {
  std::shared_ptr<const finalizer_error_handler> installed;
  if (handler) installed = std::make_shared<const finalizer_error_handler>(std::move(handler));
  {
    auto& r = the_registry();
    std::lock_guard guard(r.lock);
    std::swap(r.error_handler, installed);
  }
  if (!installed) return detail::print_finalizer_error;
  return *installed;
}

}  // namespace pysock
