// pysock/selectors.hpp: Python's selectors module. One thread waits on many sockets with
// epoll_selector (default_selector), poll_selector or select_selector, under Python's rules and
// messages (register_ is Python's register, a C++ keyword).
//
// The data of a key is a template parameter, std::any by default: Python's data is any object,
// and std::any takes any copyable value without a declaration. A server that knows its type
// (a connection pointer, an index) names it, `default_selector<connection*>`, and gets the data
// back without any_cast; either way select() allocates nothing (keys are returned by reference
// from a reused result buffer, and std::any holds a pointer or an int in place).
//
// Lifetime: Python's key keeps its object alive; here a key refers to the registered object,
// which must outlive its registration (unregister before destroying it, as Python's docs ask to
// unregister before closing). The span select() returns, and every key reference, stay valid
// until the next select() or the selector's destruction, also across register_, unregister,
// modify and close() made while reading the result.
//
// Not thread-safe (Python's selectors take no lock either): one thread registers and selects.
//
// Beyond Python: an object whose type has pending() (the bytes it holds already decrypted, as
// ssl_socket does) and is registered for reading is reported readable without waiting while
// pending() > 0; Python's selectors wait for the kernel and miss such data (its ssl docs warn
// about it).
#pragma once

#include <any>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <list>
#include <memory>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pysock/error.hpp"
#include "pysock/socket.hpp"

namespace pysock {

inline constexpr int event_read = 1;   // selectors.EVENT_READ
inline constexpr int event_write = 2;  // selectors.EVENT_WRITE

// Python's KeyError (a LookupError): what() is the key error's argument, without the quotes
// str(KeyError) adds.
class key_error : public lookup_error {
 public:
  using lookup_error::lookup_error;
};

template <class T>
concept has_fileno = requires(const T& object) {
  { object.fileno() } -> std::convertible_to<int>;
};

// An object that may hold bytes the kernel does not know about (a TLS socket's decrypted
// records): pending() > 0 means a read succeeds without waiting.
template <class T>
concept has_pending = requires(const T& object) {
  { object.pending() } -> std::convertible_to<std::size_t>;
};

// A registered object as the selector sees it: an fd, or a reference to anything with fileno().
// Cheap to copy (a pointer and a table of functions), never allocates.
class file_object {
 public:
  file_object(int fd) noexcept : fd_(fd) {}  // NOLINT: an fd converts, as in Python
  template <has_fileno T>
  file_object(T& object) noexcept : object_(&object), ops_(&ops_for<T>) {}  // NOLINT

  // Python's _fileobj_to_fd: the fd, or value_error "Invalid file descriptor: N" when it is
  // negative, or "Invalid file object: <repr>" when fileno() raises a value, attribute or type
  // error (or io's unsupported_operation); other exceptions propagate.
  int fileno() const;
  // Python's repr of the object, for messages: the fd, or the object's repr() / operator<<.
  std::string repr() const;
  bool is_fd() const noexcept { return ops_ == nullptr; }
  // The registered object if it is a T (nullptr otherwise, and for an fd).
  template <class T>
  T* get() const noexcept {
    return ops_ && *ops_->type == typeid(T) ? static_cast<T*>(const_cast<void*>(object_)) : nullptr;
  }
  // Python's `key.fileobj is fileobj`: the same object (fds compare by value).
  bool is(const file_object& other) const noexcept {
    return is_fd() ? other.is_fd() && fd_ == other.fd_ : object_ == other.object_;
  }
  // Whether the object's type has pending(), and what it returns (0 for an fd).
  bool may_have_pending() const noexcept { return ops_ && ops_->pending; }
  std::size_t pending() const { return may_have_pending() ? ops_->pending(object_) : 0; }

 private:
  struct ops {
    const std::type_info* type;
    int (*fileno)(const void*);
    std::string (*repr)(const void*);
    std::size_t (*pending)(const void*);  // null unless the type has pending()
  };
  template <class T>
  static std::string repr_of(const void* object) {
    const T& t = *static_cast<const T*>(object);
    if constexpr (requires {
                    { t.repr() } -> std::convertible_to<std::string>;
                  }) {
      return t.repr();
    } else if constexpr (requires(std::ostream & out) { out << t; }) {
      std::ostringstream out;
      out << t;
      return out.str();
    } else {
      std::ostringstream out;
      out << "<object at " << object << '>';
      return out.str();
    }
  }
  template <class T>
  static constexpr ops ops_for{
      &typeid(T), [](const void* o) { return int(static_cast<const T*>(o)->fileno()); },
      &repr_of<T>,
      [] {
        if constexpr (has_pending<T>) {
          return +[](const void* o) { return std::size_t(static_cast<const T*>(o)->pending()); };
        } else {
          return static_cast<std::size_t (*)(const void*)>(nullptr);
        }
      }()};

  const void* object_ = nullptr;
  int fd_ = -1;
  const ops* ops_ = nullptr;
};

// Python's SelectorKey (fileobj, fd, events, data). Selectors hand keys out by const reference:
// immutable, as the namedtuple is.
template <class Data>
struct selector_key {
  file_object fileobj;
  int fd;
  int events;
  Data data;
};

namespace detail {

// One ready fd from the kernel: its events already mapped to event_read/event_write the way
// Python maps them (IN → read, OUT → write, any other bit such as ERR or HUP → both).
struct ready_fd {
  int fd;
  int events;
};

// The kernel side of a selector class, in src/selectors.cpp. Errors are raised as Python raises
// them for that class.
class selector_backend {
 public:
  virtual ~selector_backend() = default;
  virtual void add(int fd, int events) = 0;
  // Python ignores every error of the kernel's removal (EBADF of a closed fd, ENOENT).
  virtual void remove(int fd) noexcept = 0;
  virtual void change(int fd, int events) = 0;
  // Waits as Python's select(timeout) does (EINTR retried with the time left) and fills `ready`
  // (cleared first). `known` is the number of registered keys (epoll's maxevents).
  virtual void wait(const timeout& t, std::vector<ready_fd>& ready, std::size_t known) = 0;
  virtual void close() noexcept {}
  // Select's modify is unregister + register; poll and epoll change the kernel's events.
  virtual bool modify_reregisters() const noexcept { return false; }
  virtual int fileno() const noexcept { return -1; }
};

std::unique_ptr<selector_backend> make_epoll_backend();
std::unique_ptr<selector_backend> make_poll_backend();
std::unique_ptr<selector_backend> make_select_backend();

[[noreturn]] void raise_invalid_events(int events);
[[noreturn]] void raise_not_registered(const file_object& object);
[[noreturn]] void raise_already_registered(const file_object& object, int fd);
[[noreturn]] void raise_selector_closed();

}  // namespace detail

template <class Data>
class basic_selector;

// The live, read-only view get_map() returns (Python's _SelectorMapping): keys in registration
// order. Python's `del m[x]` and `m[x] = y` are TypeErrors; here the view has no such members.
template <class Data>
class selector_mapping {
 public:
  using key_type = selector_key<Data>;
  using const_iterator = typename std::list<key_type>::const_iterator;

  std::size_t size() const noexcept { return owner_.keys_.size(); }
  bool empty() const noexcept { return owner_.keys_.empty(); }
  const_iterator begin() const noexcept { return owner_.keys_.begin(); }
  const_iterator end() const noexcept { return owner_.keys_.end(); }
  // m[fileobj]: key_error "<repr> is not registered" for an unknown object.
  const key_type& operator[](const file_object& object) const {
    if (const key_type* key = get(object)) return *key;
    detail::raise_not_registered(object);
  }
  // m.get(fileobj): nullptr for an unknown object. An object that cannot be resolved raises
  // value_error, as in Python.
  const key_type* get(const file_object& object) const { return owner_.find(object); }
  bool contains(const file_object& object) const { return get(object) != nullptr; }

 private:
  friend class basic_selector<Data>;
  explicit selector_mapping(const basic_selector<Data>& owner) noexcept : owner_(owner) {}
  const basic_selector<Data>& owner_;
};

// _BaseSelectorImpl: the map of keys and Python's rules over a kernel backend. Neither copyable
// nor movable (get_map() and keys point into it).
template <class Data = std::any>
class basic_selector {
 public:
  using key_type = selector_key<Data>;
  // One (key, events & key.events) pair of select()'s result.
  using ready_type = std::pair<const key_type&, int>;

  basic_selector(const basic_selector&) = delete;
  basic_selector& operator=(const basic_selector&) = delete;
  ~basic_selector() { close(); }

  // Registers `object` for `events` (event_read | event_write): value_error "Invalid events: N"
  // (checked first), the resolution errors of file_object::fileno(), key_error "<repr> (FD n) is
  // already registered" (also through another object on the same fd), then the kernel's error
  // (epoll: EBADF, EPERM for a regular file; the key is not kept).
  const key_type& register_(const file_object& object, int events, Data data = Data()) {
    if (events == 0 || (events & ~(event_read | event_write)) != 0)
      detail::raise_invalid_events(events);
    const int fd = resolve(object);
    if (by_fd_.contains(fd)) detail::raise_already_registered(object, fd);
    keys_.push_back(key_type{object, fd, events, std::move(data)});
    try {
      by_fd_.emplace(fd, std::prev(keys_.end()));
      backend_->add(fd, events);
    } catch (...) {
      by_fd_.erase(fd);
      keys_.pop_back();
      throw;
    }
    if (object.may_have_pending()) pending_keys_.push_back(&keys_.back());
    return keys_.back();
  }

  // Removes the registration and returns its key: key_error "<repr> is not registered" for an
  // unknown object; works on a closed object still registered (found by identity). The key's
  // node stays valid until the next select(), so results of the current one can still be read
  // (with its data, unless Data is move-only: then the returned key has it).
  key_type unregister(const file_object& object) {
    const auto node = lookup(object);
    backend_->remove(node->fd);
    return retire(node);
  }

  // New events and/or data. Data alone (the same events): no kernel call, and the data is
  // stored only when it differs (compared with != when Data has it). Epoll and poll change the
  // kernel's events without validating them (Python's quirk: modify(x, 0) is accepted); a kernel
  // error drops the key from the map and propagates. Select unregisters and registers again, so
  // invalid events raise and leave the object unregistered, as Python does.
  const key_type& modify(const file_object& object, int events, Data data = Data()) {
    const auto node = lookup(object);
    if (events != node->events) {
      if (backend_->modify_reregisters()) {
        unregister(object);
        return register_(object, events, std::move(data));
      }
      try {
        backend_->change(node->fd, events);
      } catch (...) {
        retire(node);
        throw;
      }
      node->events = events;
      node->data = std::move(data);
    } else if (differs(node->data, data)) {
      node->data = std::move(data);
    }
    return *node;
  }

  // Waits for readiness: nullopt blocks, zero or less polls, a positive time waits at least that
  // long (rounded up as each class rounds it). Returns (key, events & key.events) per ready fd,
  // in a buffer reused by the next call (no allocation once it has grown to the key count).
  std::span<const ready_type> select(const timeout& t = std::nullopt) {
    retired_.clear();
    ready_.clear();
    reserve_results();
    const bool pending = collect_pending();
    backend_->wait(pending ? timeout(0) : t, kernel_ready_, keys_.size());
    for (const auto& [fd, events] : kernel_ready_) {
      const auto it = by_fd_.find(fd);
      if (it == by_fd_.end()) continue;
      const key_type& key = *it->second;
      if (!pending || !merge_ready(key, events & key.events))
        ready_.emplace_back(key, events & key.events);
    }
    return ready_;
  }

  // select(seconds), as Python spells it: select(0) polls.
  std::span<const ready_type> select(double seconds) {
    return select(timeout(std::chrono::duration<double>(seconds)));
  }

  // RuntimeError "Selector is closed" after close(); key_error for an unknown object.
  const key_type& get_key(const file_object& object) const {
    if (closed_) detail::raise_selector_closed();
    return *lookup(object);
  }
  // The live view of the keys; nullptr after close() (Python's None). A view obtained before
  // close() stays valid, and empty.
  const selector_mapping<Data>* get_map() const noexcept { return closed_ ? nullptr : &map_; }

  // Forgets every key; epoll closes its fd, after which register_ and select raise value_error
  // "I/O operation on closed epoll object". Poll and select keep working, as in Python.
  // Idempotent.
  void close() noexcept {
    closed_ = true;
    retired_.splice(retired_.end(), keys_);  // a select() result being read stays valid
    by_fd_.clear();
    pending_keys_.clear();
    backend_->close();
  }

 protected:
  explicit basic_selector(std::unique_ptr<detail::selector_backend> backend)
      : backend_(std::move(backend)), map_(*this) {}
  int backend_fileno() const noexcept { return backend_->fileno(); }

 private:
  friend class selector_mapping<Data>;
  using node_type = typename std::list<key_type>::iterator;

  static bool differs(const Data& a, const Data& b) {
    if constexpr (std::equality_comparable<Data>)
      return a != b;
    else
      return true;  // std::any and other types without ==: always store the new data
  }

  // _fileobj_lookup: the fd, or for an object that cannot be resolved (a closed socket) the fd
  // of the key registered with that very object.
  int resolve(const file_object& object) const {
    try {
      return object.fileno();
    } catch (const value_error&) {
      for (const auto& key : keys_)
        if (key.fileobj.is(object)) return key.fd;
      throw;
    }
  }
  // Room for one result per key, made before a select() fills the buffers (registering while
  // reading a result must not move it): an allocation only when keys were added since.
  void reserve_results() {
    if (ready_.capacity() >= keys_.size()) return;
    ready_.reserve(2 * keys_.size());
    kernel_ready_.reserve(2 * keys_.size());
  }
  const key_type* find(const file_object& object) const {
    const auto it = by_fd_.find(resolve(object));
    return it == by_fd_.end() ? nullptr : &*it->second;
  }
  node_type lookup(const file_object& object) const {
    const auto it = by_fd_.find(resolve(object));
    if (it == by_fd_.end()) detail::raise_not_registered(object);
    return it->second;
  }
  // Moves the key out of the map into the list that the next select() frees.
  key_type retire(node_type node) {
    by_fd_.erase(node->fd);
    std::erase(pending_keys_, &*node);
    retired_.splice(retired_.end(), keys_, node);
    // A copy keeps the parked key whole for a result being read; move-only data moves out.
    if constexpr (std::is_copy_constructible_v<Data>)
      return *node;
    else
      return std::move(*node);
  }
  // Adds `events` to the entry of `key` already in the result, if there is one.
  bool merge_ready(const key_type& key, int events) {
    for (auto& entry : ready_) {
      if (&entry.first != &key) continue;
      entry.second |= events;
      return true;
    }
    return false;
  }
  // Keys registered for reading whose object holds pending bytes are ready now; the wait then
  // only polls. Costs nothing while no registered type has pending().
  bool collect_pending() {
    for (const key_type* key : pending_keys_)
      if ((key->events & event_read) && key->fileobj.pending() > 0)
        ready_.emplace_back(*key, event_read);
    return !ready_.empty();
  }

  std::unique_ptr<detail::selector_backend> backend_;
  std::list<key_type> keys_;  // registration order; nodes never move, so references stay valid
  std::unordered_map<int, node_type> by_fd_;
  std::list<key_type> retired_;  // unregistered since the last select()
  std::vector<detail::ready_fd> kernel_ready_;
  std::vector<ready_type> ready_;
  std::vector<const key_type*> pending_keys_;  // keys whose object has pending()
  bool closed_ = false;
  selector_mapping<Data> map_;
};

// EpollSelector, the default on Linux: one epoll fd (close-on-exec) shared with forked children
// (a child's unregister or modify changes the parent's registrations: close the selector in a
// child and make a new one).
template <class Data = std::any>
class epoll_selector : public basic_selector<Data> {
 public:
  epoll_selector() : basic_selector<Data>(detail::make_epoll_backend()) {}
  // The epoll fd; value_error "I/O operation on closed epoll object" after close().
  int fileno() const {
    const int fd = this->backend_fileno();
    if (fd < 0) throw value_error("I/O operation on closed epoll object");
    return fd;
  }
};

// PollSelector: state in user space, one poll() per select.
template <class Data = std::any>
class poll_selector : public basic_selector<Data> {
 public:
  poll_selector() : basic_selector<Data>(detail::make_poll_backend()) {}
};

// SelectSelector: fds up to FD_SETSIZE - 1 (1023). A larger fd registers, and then every select()
// raises value_error "filedescriptor out of range in select()" until it is unregistered.
template <class Data = std::any>
class select_selector : public basic_selector<Data> {
 public:
  select_selector() : basic_selector<Data>(detail::make_select_backend()) {}
};

// DefaultSelector: epoll on Linux.
template <class Data = std::any>
class default_selector : public epoll_selector<Data> {};

}  // namespace pysock
