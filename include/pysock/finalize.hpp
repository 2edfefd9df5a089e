// pysock/finalize.hpp: Python's weakref.finalize for C++.
//
//   struct connection : pysock::finalizable { ... };
//   connection c;
//   pysock::finalizer f = pysock::finalize(c, close_pool, pool);  // fn and args stored by value
//
// close_pool(pool) then runs exactly once: when `c` is destroyed, when `f()` is called, or at
// process exit, whichever comes first (unless `f.detach()` took it back). The rules, with the
// differences from Python, are in docs/finalize.md; in short:
//
// * Order: finalizers of one object run newest first when it is destroyed; at exit every
//   pending finalizer whose atexit() is true runs, newest first across the whole process.
// * Callbacks run on the thread that triggered them, never under a pysock lock, so they may
//   register, call or detach other finalizers. Exceptions from explicit calls propagate;
//   exceptions from automatic runs go to the error handler and never leave a destructor.
// * Callbacks run after the object is gone (from ~finalizable, after the derived class's
//   destructor), so, as in Python, they must not use the object. Capturing a strong reference
//   to it (a shared_ptr to the object in fn or args) keeps it alive until the finalizer dies.
// * Exit: the first registration installs a std::atexit hook (std::atexit handlers registered
//   before it run after the finalizers, later ones before). After the exit run no callback runs
//   any more: later destructions and calls only mark finalizers dead (Python's `_shutdown`).
// * Registrations follow the resource: moving a finalizable object moves its registrations.
// * Threads: everything may race from any thread; each callback runs at most once, never after
//   detach() won. fork(): the child inherits the pending finalizers, as in Python.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace pysock {

class finalizer;
class finalizable;

namespace detail {

struct access;  // finalize.cpp's way in

// Links of the process-wide registry ring (finalize.cpp), oldest to newest.
struct registry_links {
  registry_links* older = nullptr;
  registry_links* newer = nullptr;
};

// One registration, shared by the finalizer handles, the object it is registered on and the
// registry. The fields belong to finalize.cpp; the links are guarded by the registry lock.
class node : public registry_links {
 public:
  explicit node(const std::type_info& target) noexcept : target_type(&target) {}
  node(const node&) = delete;
  node& operator=(const node&) = delete;
  virtual ~node() = default;

  // Calls fn(args...) with the stored values.
  virtual void invoke() = 0;
  // Destroys fn and args once nothing can call them any more.
  virtual void destroy_callback() noexcept = 0;

  // The object's list, newest first: the next older registration on the same object, and the
  // pointer that points at this node (the object's head or the newer node's next).
  std::atomic<node*> next_on_object{nullptr};
  std::atomic<node*>* link_to_this = nullptr;
  // Holders of fn and args: the registration while alive, plus each peek()/detach() result.
  std::atomic<std::uint32_t> callback_refs{1};
  // Holders of this memory: the finalizer handles, plus one while callback_refs > 0.
  std::atomic<std::uint32_t> node_refs{2};
  std::atomic<bool> alive{true};
  std::atomic<bool> run_at_exit{true};
  const std::type_info* target_type;  // for repr() and the default error message
};

// fn and args, stored by value (decayed, like std::thread and std::bind_front).
template <class Fn, class... Args>
class callback_node final : public node {
 public:
  template <class F, class... A>
  callback_node(const std::type_info& target, F&& fn, A&&... args)
      : node(target), bound_{std::forward<F>(fn), std::tuple<Args...>(std::forward<A>(args)...)} {}
  ~callback_node() override {}  // bound_ ended in destroy_callback()

  void invoke() override { std::apply(bound_.fn, bound_.args); }
  void destroy_callback() noexcept override { std::destroy_at(&bound_); }

 private:
  struct bound_call {
    Fn fn;
    [[no_unique_address]] std::tuple<Args...> args;
  };
  union {  // a union, so that fn and args can end before the node memory does
    bound_call bound_;
  };
};

// Registers `n` (fresh from new; the returned handle and the registry now own it) on `target`.
finalizer attach(const finalizable& target, node* n);

// The finalizable a std::shared_ptr made by make_finalizable carries in its deleter.
struct finalizable_box_deleter {
  finalizable* box;
  void (*destroy)(finalizable* box) noexcept;
  void operator()(const volatile void*) const noexcept { destroy(box); }
};

template <class T>
inline constexpr bool is_shared_ptr = false;
template <class T>
inline constexpr bool is_shared_ptr<std::shared_ptr<T>> = true;
template <class T>
inline constexpr bool is_unique_ptr_to_finalizable = false;
template <class T, class D>
inline constexpr bool is_unique_ptr_to_finalizable<std::unique_ptr<T, D>> =
    std::derived_from<std::remove_cv_t<T>, finalizable>;

// What finalize() accepts as `obj`: a finalizable object, a shared_ptr (to a finalizable object,
// or from make_finalizable, checked at run time) or a unique_ptr to a finalizable object.
template <class T>
concept finalize_target =
    std::derived_from<T, finalizable> || is_shared_ptr<T> || is_unique_ptr_to_finalizable<T>;

// The finalizable object that `obj` is or points to.
template <class T>
const finalizable& target_of(const T& obj) {
  if constexpr (std::derived_from<T, finalizable>) {
    return obj;
  } else {
    using element = std::remove_cv_t<typename T::element_type>;
    if (obj == nullptr) throw std::invalid_argument("pysock::finalize: obj is a null pointer");
    if constexpr (std::derived_from<element, finalizable>) {
      return *obj;
    } else {
      const auto* deleter = std::get_deleter<finalizable_box_deleter>(obj);
      if (deleter == nullptr)
        throw std::invalid_argument(
            "pysock::finalize: this std::shared_ptr was not made by pysock::make_finalizable");
      return *deleter->box;
    }
  }
}

// The type repr() and error messages name.
template <class T>
const std::type_info& target_type_of() {
  if constexpr (std::derived_from<T, finalizable>) {
    return typeid(T);
  } else {
    return typeid(typename T::element_type);
  }
}

template <class>
inline constexpr bool always_false = false;

}  // namespace detail

// The base class of objects that finalizers can be registered on (Python: any object that
// supports weak references). It adds one pointer to the object; destroying an object that has
// no pending finalizer costs one load.
//
// Registrations follow the resource:
// * the move constructor takes all of `other`'s registrations; the moved-from object has none;
// * move assignment first runs this object's own pending registrations, as if it were
//   destroyed (its resource is being replaced), then takes `other`'s;
// * copying is deleted, so registrations are never duplicated by accident. A derived class that
//   wants to be copyable writes its copy constructor with `finalizable()` in its initializer
//   list: the copy then starts with no registrations.
//
// A move-only class just defaults its moves:
//   class socket : public pysock::finalizable {
//    public:
//     socket(socket&&) noexcept = default;             // or call finalizable(std::move(other))
//     socket& operator=(socket&&) noexcept = default;  // or finalizable::operator=(std::move(o))
//   };
class finalizable {
 public:
  finalizable(const finalizable&) = delete;
  finalizable& operator=(const finalizable&) = delete;

 protected:
  constexpr finalizable() noexcept = default;
  finalizable(finalizable&& other) noexcept {
    if (other.has_registrations()) take_registrations(other);
  }
  finalizable& operator=(finalizable&& other) noexcept {
    if (this != &other && (has_registrations() || other.has_registrations()))
      replace_registrations(other);
    return *this;
  }
  // Runs every pending registration, newest first, on this thread; exceptions go to the error
  // handler. The derived part of the object is already destroyed at this point.
  ~finalizable() {
    if (has_registrations()) run_registrations();
  }

 private:
  friend detail::access;

  // Without the lock: null can only change to non-null through this object itself. Acquire,
  // so that a list emptied by another thread is seen complete before the object goes away.
  bool has_registrations() const noexcept {
    return registrations_.load(std::memory_order_acquire) != nullptr;
  }
  void take_registrations(finalizable& other) noexcept;
  void replace_registrations(finalizable& other) noexcept;
  void run_registrations() noexcept;

  // Newest first. Mutable: registering is not a change of the object's value, so finalize()
  // accepts const objects too.
  mutable std::atomic<detail::node*> registrations_{nullptr};
};

// The handle finalize() returns (Python: the `finalize` object). Copies share one registration.
// All members act on that shared registration and are safe to call from any thread; a
// default-constructed finalizer is dead.
class finalizer {
 public:
  finalizer() noexcept = default;
  finalizer(const finalizer& other) noexcept;
  finalizer(finalizer&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  finalizer& operator=(finalizer other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~finalizer();

  // If alive: marks it dead, runs fn(args...) here and returns true; an exception from fn
  // propagates (the finalizer stays dead). Otherwise returns false. After the exit run
  // (run_exit_finalizers) it only marks the finalizer dead and returns false.
  bool operator()() const;
  // If alive: marks it dead without running it and returns the callback, a function that calls
  // fn(args...) (and keeps fn and args alive). Otherwise returns an empty function.
  std::function<void()> detach() const;
  // While alive: the callback, as detach() would return it, without changing anything.
  // Otherwise an empty function.
  std::function<void()> peek() const;
  // Whether the callback is still pending.
  bool alive() const noexcept;
  // Whether it runs at process exit if still alive then (default true); false once dead.
  bool atexit() const noexcept;
  // Sets the flag above; does nothing on a dead finalizer.
  void atexit(bool enabled) const noexcept;
  // Python's repr: "<pysock.finalizer object at 0x...; for 'T'>" or "<... at 0x...; dead>",
  // where the address identifies the shared registration and T is the registered object's type.
  std::string repr() const;

  // Whether both handles share one registration.
  friend bool operator==(const finalizer& a, const finalizer& b) noexcept {
    return a.node_ == b.node_;
  }

 private:
  friend detail::access;
  explicit finalizer(detail::node* adopted) noexcept : node_(adopted) {}

  detail::node* node_ = nullptr;
};

// Registers fn(args...) to run once when `obj` is destroyed, when the returned finalizer is
// called, or at process exit (if its atexit() is still true), whichever comes first.
//
// `obj` is an object derived from finalizable (on the stack, the heap, in a unique_ptr or a
// shared_ptr), a std::shared_ptr or std::unique_ptr to one, or a std::shared_ptr made by
// make_finalizable; anything else does not compile. A shared_ptr that is null or (for a type not
// derived from finalizable) was not made by make_finalizable throws std::invalid_argument.
//
// fn and args are stored by value and called as lvalues; fn's result is discarded. Do not store
// a strong reference to obj in them: it would keep obj alive, so the finalizer would only run
// when called or at exit.
template <class Obj, class Fn, class... Args>
finalizer finalize(Obj&& obj, Fn&& fn, Args&&... args) {
  using target = std::remove_cvref_t<Obj>;
  if constexpr (!detail::finalize_target<target>) {
    static_assert(detail::always_false<target>,
                  "pysock::finalize: obj must derive (publicly) from pysock::finalizable, or be a "
                  "std::shared_ptr made by pysock::make_finalizable<T>(...)");
    return {};
  } else if constexpr (!std::is_invocable_v<std::decay_t<Fn>&, std::decay_t<Args>&...>) {
    static_assert(detail::always_false<target>,
                  "pysock::finalize: fn must be callable as fn(args...) with the stored copies of "
                  "args passed as lvalues");
    return {};
  } else {
    const finalizable& slot = detail::target_of(obj);
    using node_type = detail::callback_node<std::decay_t<Fn>, std::decay_t<Args>...>;
    return detail::attach(slot, new node_type(detail::target_type_of<target>(),
                                              std::forward<Fn>(fn), std::forward<Args>(args)...));
  }
}

namespace detail {

template <class T>
struct finalizable_box final : finalizable {
  template <class... Args>
  explicit finalizable_box(Args&&... args) : value(std::forward<Args>(args)...) {}
  T value;

  static void destroy(finalizable* box) noexcept { delete static_cast<finalizable_box*>(box); }
};

}  // namespace detail

// Python's weakref-able objects for types you cannot change: a std::shared_ptr<T> to a new
// T(args...) that finalize() accepts. Its finalizers run when the last shared_ptr to it goes
// (weak_ptrs do not count), after T is destroyed.
template <class T, class... Args>
std::shared_ptr<T> make_finalizable(Args&&... args) {
  static_assert(std::is_object_v<T> && !std::is_array_v<T>,
                "pysock::make_finalizable: T must be a non-array object type");
  auto* box = new detail::finalizable_box<T>(std::forward<Args>(args)...);
  // On failure the shared_ptr constructor calls the deleter, which frees the box.
  return std::shared_ptr<T>(
      &box->value, detail::finalizable_box_deleter{box, &detail::finalizable_box<T>::destroy});
}

// Runs the exit procedure now (what the std::atexit hook runs): every alive finalizer whose
// atexit() is true runs, newest first, including ones created meanwhile; exceptions go to the
// error handler. Afterwards no callback runs any more. Only the first call does anything: a
// call from another thread while it runs waits for it to finish, a nested call from a callback
// returns at once. For programs that leave through _exit() or from a signal-handling thread.
void run_exit_finalizers() noexcept;

// Receives the exceptions of automatic runs (object destruction, move assignment, exit run):
// the finalizer that threw (already dead) and the exception. Exceptions it throws are ignored.
using finalizer_error_handler =
    std::function<void(const finalizer& which, std::exception_ptr error)>;

// Installs `handler` (an empty one restores the default, which writes one line to stderr
// naming the finalizer's registered type and the exception) and returns the previous handler.
finalizer_error_handler set_finalizer_error_handler(finalizer_error_handler handler);

}  // namespace pysock
