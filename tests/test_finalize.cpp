// pysock::finalize: CPython's test_weakref.FinalizeTestCase in C++ terms, plus what C++ adds
// (object kinds, make_finalizable, move semantics, error handler, threads, exit, fork).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pysock/finalize.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/helpers.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

struct tracked : pysock::finalizable {};

// A small move-only resource owner, written the way pysock::socket derives from finalizable.
class resource : public pysock::finalizable {
 public:
  explicit resource(int id) : id_(id) {}
  resource(resource&& other) noexcept
      : finalizable(std::move(other)), id_(std::exchange(other.id_, -1)) {}
  resource& operator=(resource&& other) noexcept {
    finalizable::operator=(std::move(other));
    id_ = std::exchange(other.id_, -1);
    return *this;
  }
  int id() const { return id_; }

 private:
  int id_;
};

// The same with defaulted moves.
struct defaulted_moves : pysock::finalizable {
  defaulted_moves() = default;
  defaulted_moves(defaulted_moves&&) noexcept = default;
  defaulted_moves& operator=(defaulted_moves&&) noexcept = default;
  std::unique_ptr<int> payload = std::make_unique<int>(7);
};

static_assert(!std::is_copy_constructible_v<tracked>);
static_assert(!std::is_copy_assignable_v<tracked>);
static_assert(std::is_nothrow_move_constructible_v<resource>);
static_assert(std::is_nothrow_move_assignable_v<resource>);
static_assert(std::is_nothrow_move_constructible_v<defaulted_moves>);
static_assert(std::is_nothrow_move_assignable_v<defaulted_moves>);
static_assert(sizeof(tracked) == sizeof(void*));
static_assert(std::is_nothrow_copy_constructible_v<pysock::finalizer>);

// A log the callbacks append to.
struct event_log {
  std::vector<std::string> entries;
  auto append(std::string entry) {
    return [this, entry = std::move(entry)] { entries.push_back(entry); };
  }
};

// Records the errors of automatic runs while alive; restores the previous handler afterwards.
class captured_errors {
 public:
  struct record {
    pysock::finalizer which;
    std::string what;
  };

  captured_errors()
      : previous_(pysock::set_finalizer_error_handler(
            [this](const pysock::finalizer& which, std::exception_ptr error) {
              try {
                std::rethrow_exception(error);
              } catch (const std::exception& e) {
                records.push_back({which, e.what()});
              }
            })) {}
  ~captured_errors() { pysock::set_finalizer_error_handler(std::move(previous_)); }
  captured_errors(const captured_errors&) = delete;
  captured_errors& operator=(const captured_errors&) = delete;

  std::vector<record> records;

 private:
  pysock::finalizer_error_handler previous_;
};

void add(std::vector<int>& results, int x, int y, int z) {
  results.push_back(x + y + z);
}

// --------------------------------------------------------------------------------------------
// CPython's FinalizeTestCase.test_finalize

TEST(Finalize, ExplicitCallRunsOnceWithTheStoredArguments) {
  std::vector<int> results;
  tracked a;
  pysock::finalizer f = pysock::finalize(a, add, std::ref(results), 67, 43, 89);
  EXPECT_TRUE(f.alive());
  EXPECT_TRUE(f.peek());

  EXPECT_TRUE(f());
  EXPECT_FALSE(f());
  EXPECT_FALSE(f());
  EXPECT_FALSE(f.peek());
  EXPECT_FALSE(f.detach());
  EXPECT_FALSE(f.alive());
  EXPECT_THAT(results, ElementsAre(199));
}

TEST(Finalize, DestroyingTheObjectAfterAnExplicitCallRunsNothing) {
  std::vector<int> results;
  pysock::finalizer f;
  {
    tracked a;
    f = pysock::finalize(a, add, std::ref(results), 1, 2, 3);
    EXPECT_TRUE(f());
  }
  EXPECT_THAT(results, ElementsAre(6));
}

TEST(Finalize, DetachReturnsTheCallbackWithoutRunningIt) {
  std::vector<int> results;
  auto a = std::make_unique<tracked>();
  pysock::finalizer f = pysock::finalize(*a, add, std::ref(results), 67, 43, 89);

  std::function<void()> callback = f.detach();
  ASSERT_TRUE(callback);
  EXPECT_FALSE(f.alive());
  EXPECT_FALSE(f.detach());
  EXPECT_FALSE(f());
  a.reset();
  EXPECT_THAT(results, IsEmpty());

  callback();  // the caller may run it, as with Python's detach() tuple
  EXPECT_THAT(results, ElementsAre(199));
}

TEST(Finalize, PeekReturnsTheCallbackAndChangesNothing) {
  std::vector<int> results;
  auto a = std::make_unique<tracked>();
  pysock::finalizer f = pysock::finalize(*a, add, std::ref(results), 1, 2, 3);

  std::function<void()> peeked = f.peek();
  ASSERT_TRUE(peeked);
  EXPECT_TRUE(f.alive());
  EXPECT_TRUE(f.peek());
  peeked();
  EXPECT_TRUE(f.alive());
  EXPECT_THAT(results, ElementsAre(6));

  a.reset();
  EXPECT_FALSE(f.alive());
  EXPECT_THAT(results, ElementsAre(6, 6));
}

// CPython: `del a` fires the callback and a later f() returns None.
TEST(Finalize, DestructionRunsTheCallbackOnce) {
  std::vector<int> results;
  pysock::finalizer f;
  {
    tracked a;
    f = pysock::finalize(a, add, std::ref(results), 67, 43, 89);
  }
  EXPECT_FALSE(f.alive());
  EXPECT_FALSE(f());
  EXPECT_THAT(results, ElementsAre(199));
}

// CPython's test_order: the finalizers of a dying object run newest first.
TEST(Finalize, DestructionRunsNewestFirst) {
  event_log log;
  auto a = std::make_unique<tracked>();
  pysock::finalize(*a, log.append("f1"));  // handles dropped: the registration stays
  pysock::finalizer f2 = pysock::finalize(*a, log.append("f2"));
  pysock::finalizer f3 = pysock::finalize(*a, log.append("f3"));
  pysock::finalize(*a, log.append("f4"));
  pysock::finalizer f5 = pysock::finalize(*a, log.append("f5"));

  EXPECT_TRUE(f2.alive());
  EXPECT_TRUE(f3.alive());
  EXPECT_TRUE(f5.detach());
  EXPECT_FALSE(f5.alive());
  EXPECT_FALSE(f5());
  log.entries.push_back("A");
  EXPECT_TRUE(f3());
  EXPECT_FALSE(f3.alive());
  log.entries.push_back("B");
  EXPECT_FALSE(f3());
  log.entries.push_back("C");
  a.reset();
  EXPECT_FALSE(f2.alive());
  log.entries.push_back("D");
  EXPECT_FALSE(f2());
  EXPECT_THAT(log.entries, ElementsAre("A", "f3", "B", "C", "f4", "f2", "f1", "D"));
}

// CPython's test_all_freed: once dead, the finalizer no longer holds fn and args.
TEST(Finalize, FunctionAndArgumentsAreReleasedWhenTheFinalizerDies) {
  auto token = std::make_shared<int>(0);
  tracked a;
  pysock::finalizer f = pysock::finalize(
      a, [](const std::shared_ptr<int>&) {}, token);
  EXPECT_EQ(token.use_count(), 2);
  f();
  EXPECT_EQ(token.use_count(), 1) << "the handle must not keep the arguments alive";
}

TEST(Finalize, DetachedCallbackKeepsTheArgumentsUntilDropped) {
  auto token = std::make_shared<int>(0);
  tracked a;
  pysock::finalizer f = pysock::finalize(
      a, [](const std::shared_ptr<int>&) {}, token);
  std::function<void()> callback = f.detach();
  std::function<void()> copy = callback;
  EXPECT_EQ(token.use_count(), 2);
  callback = nullptr;
  EXPECT_EQ(token.use_count(), 2);
  copy = nullptr;
  EXPECT_EQ(token.use_count(), 1);
}

// --------------------------------------------------------------------------------------------
// The handle

TEST(Finalize, DefaultConstructedFinalizerIsDead) {
  pysock::finalizer f;
  EXPECT_FALSE(f.alive());
  EXPECT_FALSE(f());
  EXPECT_FALSE(f.peek());
  EXPECT_FALSE(f.detach());
  EXPECT_FALSE(f.atexit());
  f.atexit(true);
  EXPECT_FALSE(f.atexit());
}

TEST(Finalize, CopiesShareOneRegistration) {
  int runs = 0;
  tracked a;
  const pysock::finalizer f = pysock::finalize(a, [&runs] { ++runs; });
  const pysock::finalizer copy = f;
  pysock::finalizer assigned;
  assigned = copy;
  EXPECT_EQ(f, copy);
  EXPECT_EQ(f, assigned);
  EXPECT_NE(f, pysock::finalize(a, [] {}));

  copy.atexit(false);
  EXPECT_FALSE(f.atexit());
  EXPECT_TRUE(assigned());
  EXPECT_FALSE(f.alive());
  EXPECT_FALSE(f());
  EXPECT_EQ(runs, 1);
}

TEST(Finalize, AtexitFlagDefaultsToTrueAndIsFalseOnceDead) {
  tracked a;
  pysock::finalizer f = pysock::finalize(a, [] {});
  EXPECT_TRUE(f.atexit());
  f.atexit(false);
  EXPECT_FALSE(f.atexit());
  f.atexit(true);
  EXPECT_TRUE(f.atexit());
  f();
  EXPECT_FALSE(f.atexit());
  f.atexit(true);
  EXPECT_FALSE(f.atexit());
}

TEST(Finalize, ReprNamesTheRegisteredTypeWhileAlive) {
  tracked a;
  pysock::finalizer f = pysock::finalize(a, [] {});
  EXPECT_THAT(f.repr(), MatchesRegex("<pysock.finalizer object at 0x[0-9a-f]+; for "
                                     "'\\(anonymous namespace\\)::tracked'>"));
  const std::string address = f.repr().substr(0, f.repr().find(';'));
  f();
  EXPECT_EQ(f.repr(), address + "; dead>");
}

TEST(Finalize, ArgumentsAreStoredByValue) {
  std::string seen;
  std::string argument = "before";
  tracked a;
  pysock::finalizer f = pysock::finalize(
      a, [&seen](const std::string& value) { seen = value; }, argument);
  argument = "after";
  f();
  EXPECT_EQ(seen, "before");
}

TEST(Finalize, MoveOnlyFunctionsAndArgumentsAreAccepted) {
  int seen = 0;
  auto owned = std::make_unique<int>(42);
  tracked a;
  pysock::finalizer f = pysock::finalize(
      a,
      [&seen, box = std::make_unique<int>(1)](std::unique_ptr<int>& value) {
        seen = *value + *box;
      },
      std::move(owned));
  std::function<void()> peeked = f.peek();  // shares fn and args, copies nothing
  peeked();
  EXPECT_EQ(seen, 43);
}

TEST(Finalize, ConstObjectsAcceptRegistrations) {
  int runs = 0;
  {
    const tracked a;
    pysock::finalize(a, [&runs] { ++runs; });
  }
  EXPECT_EQ(runs, 1);
}

// CPython: finalize(A(), ...) fires as soon as the temporary is released.
TEST(Finalize, TemporaryObjectRunsAtTheEndOfTheFullExpression) {
  int runs = 0;
  pysock::finalizer f = pysock::finalize(tracked(), [&runs] { ++runs; });
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(f.alive());
}

// --------------------------------------------------------------------------------------------
// Kinds of objects

TEST(Finalize, HeapObjectRunsWhenDeleted) {
  int runs = 0;
  auto* a = new tracked;
  pysock::finalize(*a, [&runs] { ++runs; });
  EXPECT_EQ(runs, 0);
  delete a;
  EXPECT_EQ(runs, 1);
}

TEST(Finalize, UniquePtrIsAcceptedAndRunsWhenReset) {
  int runs = 0;
  auto a = std::make_unique<tracked>();
  pysock::finalizer f = pysock::finalize(a, [&runs] { ++runs; });
  EXPECT_EQ(runs, 0);
  a.reset();
  EXPECT_EQ(runs, 1);
}

TEST(Finalize, SharedPtrRunsWhenTheLastOwnerGoes) {
  int runs = 0;
  auto a = std::make_shared<tracked>();
  std::shared_ptr<tracked> other = a;
  std::weak_ptr<tracked> weak = a;
  pysock::finalize(a, [&runs] { ++runs; });
  a.reset();
  EXPECT_EQ(runs, 0);
  other.reset();
  EXPECT_EQ(runs, 1) << "a weak_ptr does not keep the object";
  EXPECT_TRUE(weak.expired());
}

TEST(Finalize, MakeFinalizableWrapsTypesYouCannotChange) {
  event_log log;
  struct third_party {
    third_party(event_log& l, std::string n) : log(l), name(std::move(n)) {}
    ~third_party() { log.entries.push_back("~" + name); }
    event_log& log;
    std::string name;
  };
  std::shared_ptr<third_party> object = pysock::make_finalizable<third_party>(log, "tp");
  EXPECT_EQ(object->name, "tp");
  std::weak_ptr<third_party> weak = object;
  std::shared_ptr<const void> erased = object;
  pysock::finalize(object, log.append("first"));
  pysock::finalize(erased, log.append("second"));
  object.reset();
  EXPECT_THAT(log.entries, IsEmpty());
  erased.reset();
  EXPECT_THAT(log.entries, ElementsAre("~tp", "second", "first"))
      << "finalizers run after the object is gone, newest first";
  EXPECT_TRUE(weak.expired());
}

TEST(Finalize, StrongReferenceInTheCallbackKeepsTheObjectAlive) {
  int runs = 0;
  std::shared_ptr<std::string> object = pysock::make_finalizable<std::string>("kept");
  std::weak_ptr<std::string> weak = object;
  pysock::finalizer f = pysock::finalize(object, [&runs, object] { ++runs; });  // the mistake
  object.reset();
  EXPECT_FALSE(weak.expired()) << "the callback's copy of the shared_ptr keeps it alive";
  EXPECT_TRUE(f.alive());

  EXPECT_TRUE(f());  // running it drops the callback, and with it the last owner
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(runs, 1);
}

TEST(Finalize, SharedPtrNotMadeByMakeFinalizableIsRejectedAtRunTime) {
  auto plain = std::make_shared<int>(1);
  EXPECT_THROW(pysock::finalize(plain, [] {}), std::invalid_argument);
  EXPECT_THROW(pysock::finalize(std::shared_ptr<int>(), [] {}), std::invalid_argument);
  EXPECT_THROW(pysock::finalize(std::unique_ptr<tracked>(), [] {}), std::invalid_argument);
}

// --------------------------------------------------------------------------------------------
// Exceptions

TEST(Finalize, ExplicitCallPropagatesTheExceptionAndStaysDead) {
  captured_errors errors;
  tracked a;
  pysock::finalizer f = pysock::finalize(a, [] { throw std::runtime_error("boom"); });
  EXPECT_THROW(f(), std::runtime_error);
  EXPECT_FALSE(f.alive());
  EXPECT_FALSE(f());
  EXPECT_THAT(errors.records, IsEmpty());
}

TEST(Finalize, DestructionReportsExceptionsAndRunsTheOtherFinalizers) {
  captured_errors errors;
  event_log log;
  pysock::finalizer thrower;
  {
    tracked a;
    pysock::finalize(a, log.append("older"));
    thrower = pysock::finalize(a, [] { throw std::runtime_error("boom"); });
  }
  EXPECT_THAT(log.entries, ElementsAre("older"));
  ASSERT_EQ(errors.records.size(), 1u);
  EXPECT_EQ(errors.records[0].which, thrower);
  EXPECT_FALSE(errors.records[0].which.alive());
  EXPECT_EQ(errors.records[0].what, "boom");
}

TEST(Finalize, DefaultErrorHandlerWritesOneLineNamingTheFinalizer) {
  const auto child = pysock_test::run_in_child([] {
    tracked a;
    pysock::finalize(a, [] { throw std::runtime_error("boom"); });
  });
  ASSERT_FALSE(child.timed_out);
  EXPECT_EQ(child.exit_code, 0) << child.output;
  EXPECT_THAT(
      child.output,
      MatchesRegex("Exception ignored in finalizer for '\\(anonymous namespace\\)::tracked' "
                   "at 0x[0-9a-f]+: std::runtime_error: boom\n"));
}

TEST(Finalize, DefaultErrorHandlerNamesNonStandardExceptions) {
  const auto child = pysock_test::run_in_child([] {
    tracked a;
    pysock::finalize(a, [] { throw 42; });
  });
  EXPECT_EQ(child.exit_code, 0) << child.output;
  EXPECT_THAT(child.output, MatchesRegex("Exception ignored in finalizer for .*: int\n"));
}

TEST(Finalize, ExceptionsFromTheErrorHandlerAreIgnored) {
  auto previous = pysock::set_finalizer_error_handler(
      [](const pysock::finalizer&, std::exception_ptr error) { std::rethrow_exception(error); });
  int runs = 0;
  {
    tracked a;
    pysock::finalize(a, [&runs] { ++runs; });
    pysock::finalize(a, [] { throw std::runtime_error("boom"); });
  }
  pysock::set_finalizer_error_handler(std::move(previous));
  EXPECT_EQ(runs, 1);
}

TEST(Finalize, SetErrorHandlerReturnsThePreviousOne) {
  std::vector<std::string> calls;
  auto original = pysock::set_finalizer_error_handler(
      [&calls](const pysock::finalizer&, std::exception_ptr) { calls.push_back("first"); });
  auto first = pysock::set_finalizer_error_handler(nullptr);  // back to the default
  ASSERT_TRUE(first);
  first(pysock::finalizer(), nullptr);
  EXPECT_THAT(calls, ElementsAre("first"));
  auto default_handler = pysock::set_finalizer_error_handler(std::move(original));
  EXPECT_TRUE(default_handler);
}

// --------------------------------------------------------------------------------------------
// Move semantics: registrations follow the resource

TEST(Finalize, MoveConstructionTransfersTheRegistrations) {
  event_log log;
  auto source = std::make_unique<resource>(1);
  pysock::finalizer f = pysock::finalize(*source, log.append("f"));
  auto target = std::make_unique<resource>(std::move(*source));
  EXPECT_EQ(target->id(), 1);
  source.reset();
  EXPECT_THAT(log.entries, IsEmpty()) << "the moved-from object has no registrations";
  EXPECT_TRUE(f.alive());
  target.reset();
  EXPECT_THAT(log.entries, ElementsAre("f"));
}

TEST(Finalize, MoveAssignmentRunsTheTargetsOwnRegistrationsFirst) {
  event_log log;
  resource source(1);
  auto target = std::make_unique<resource>(2);
  pysock::finalize(source, log.append("source"));
  pysock::finalizer replaced_1 = pysock::finalize(*target, log.append("target 1"));
  pysock::finalize(*target, log.append("target 2"));

  *target = std::move(source);
  EXPECT_THAT(log.entries, ElementsAre("target 2", "target 1"))
      << "the target's resource is replaced, as if it were destroyed";
  EXPECT_FALSE(replaced_1.alive());
  EXPECT_EQ(target->id(), 1);
  target.reset();
  EXPECT_THAT(log.entries, ElementsAre("target 2", "target 1", "source"));
}

TEST(Finalize, MoveAssignmentReportsExceptionsOfTheReplacedRegistrations) {
  captured_errors errors;
  resource source(1);
  resource target(2);
  pysock::finalize(target, [] { throw std::runtime_error("replaced"); });
  target = std::move(source);
  ASSERT_EQ(errors.records.size(), 1u);
  EXPECT_EQ(errors.records[0].what, "replaced");
}

TEST(Finalize, SelfMoveAssignmentKeepsTheRegistrations) {
  int runs = 0;
  auto object = std::make_unique<resource>(1);
  pysock::finalizer f = pysock::finalize(*object, [&runs] { ++runs; });
  resource& alias = *object;
  *object = std::move(alias);
  EXPECT_EQ(runs, 0);
  EXPECT_TRUE(f.alive());
  object.reset();
  EXPECT_EQ(runs, 1);
}

// Calls and detaches on moved registrations unlink them from their new owner correctly.
TEST(Finalize, MovedRegistrationsCanBeCalledDetachedAndExtended) {
  event_log log;
  resource source(1);
  pysock::finalizer oldest = pysock::finalize(source, log.append("oldest"));
  pysock::finalizer middle = pysock::finalize(source, log.append("middle"));
  pysock::finalizer newest = pysock::finalize(source, log.append("newest"));
  auto target = std::make_unique<resource>(std::move(source));
  EXPECT_TRUE(newest());  // the head of the target's list
  EXPECT_TRUE(oldest.detach());
  pysock::finalize(*target, log.append("added"));
  pysock::finalize(source, log.append("moved-from"));  // a fresh list of its own
  target.reset();
  EXPECT_THAT(log.entries, ElementsAre("newest", "added", "middle"));
}

TEST(Finalize, DefaultedMovesOfADerivedClassTransferRegistrations) {
  event_log log;
  defaulted_moves source;
  pysock::finalize(source, log.append("source"));
  auto target = std::make_unique<defaulted_moves>(std::move(source));
  defaulted_moves replacement;
  pysock::finalize(replacement, log.append("replacement"));
  *target = std::move(replacement);
  EXPECT_THAT(log.entries, ElementsAre("source"));
  target.reset();
  EXPECT_THAT(log.entries, ElementsAre("source", "replacement"));
}

// --------------------------------------------------------------------------------------------
// Callbacks use finalizers (no lock is held while they run)

TEST(Finalize, CallbacksMayRegisterCallAndDetachOtherFinalizers) {
  event_log log;
  tracked other;
  pysock::finalizer to_call = pysock::finalize(other, log.append("called by a callback"));
  pysock::finalizer to_detach = pysock::finalize(other, log.append("must not run"));
  pysock::finalizer registered;
  {
    tracked dying;
    pysock::finalize(dying, [&] {
      to_call();
      to_detach.detach();
      registered = pysock::finalize(other, log.append("registered by a callback"));
    });
  }
  EXPECT_THAT(log.entries, ElementsAre("called by a callback"));
  EXPECT_TRUE(registered.alive());
  EXPECT_TRUE(registered());
  EXPECT_THAT(log.entries, ElementsAre("called by a callback", "registered by a callback"));
}

// --------------------------------------------------------------------------------------------
// Exit and fork, in fresh processes (tests/finalize_exit_helper.cpp)

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    lines.push_back(line);
  return lines;
}

pysock_test::child_result run_exit_scenario(const std::string& scenario) {
  auto result = pysock_test::run_command(std::string(PYSOCK_FINALIZE_EXIT_HELPER) + " " + scenario,
                                         std::chrono::seconds(30));
  EXPECT_FALSE(result.timed_out) << scenario;
  EXPECT_EQ(result.exit_code, 0) << scenario << ":\n" << result.output;
  return result;
}

// CPython's test_atexit: newest first, the exception is reported and the run goes on, and g1
// (created by f3 during the run) runs next; f2 (atexit=False) never runs.
TEST(FinalizeExit, RunsNewestFirstLikeCPythonTestAtexit) {
  const auto lines = lines_of(run_exit_scenario("cpython-atexit").output);
  EXPECT_THAT(lines, ElementsAre("f4 foobar", "f3 error",
                                 MatchesRegex("Exception ignored in finalizer for "
                                              "'\\(anonymous namespace\\)::object' at 0x[0-9a-f]+: "
                                              "std::runtime_error: division by zero"),
                                 "g1", "f1 foobar"));
}

TEST(FinalizeExit, AtexitHandlersRegisteredBeforeRunAfterAndLaterOnesBefore) {
  EXPECT_THAT(lines_of(run_exit_scenario("atexit-handlers").output),
              ElementsAre("handler registered after the first finalizer", "finalizer",
                          "handler registered before the first finalizer"));
}

TEST(FinalizeExit, NoCallbackRunsAfterTheExitRun) {
  EXPECT_THAT(lines_of(run_exit_scenario("after-exit-run").output),
              ElementsAre("call after the run: did not run", "alive after the call: no",
                          "pending alive after its object died: no"));
}

TEST(FinalizeExit, RunExitFinalizersIsIdempotent) {
  EXPECT_THAT(lines_of(run_exit_scenario("run-twice").output),
              ElementsAre("ran once", "second call", "exiting"));
}

TEST(FinalizeExit, AtexitFalseFinalizersNeverRunAtExit) {
  EXPECT_THAT(lines_of(run_exit_scenario("atexit-false").output), ElementsAre("runs at exit"));
}

TEST(FinalizeExit, UnderscoreExitSkipsThemUnlessRunExplicitly) {
  EXPECT_THAT(lines_of(run_exit_scenario("underscore-exit").output), IsEmpty());
  EXPECT_THAT(lines_of(run_exit_scenario("run-then-underscore-exit").output),
              ElementsAre("ran before _exit"));
}

TEST(FinalizeExit, StaticObjectsInterleaveWithTheExitRunByConstructionOrder) {
  EXPECT_THAT(lines_of(run_exit_scenario("static-destruction").output),
              ElementsAre("late static: destroyed before the exit run", "early static: at exit"));
}

TEST(FinalizeExit, CallbacksOfTheExitRunMayDestroyObjects) {
  EXPECT_THAT(lines_of(run_exit_scenario("exit-run-destroys").output),
              ElementsAre("destroying owned", "owned 2", "owned 1"));
}

// Fork policy: the child inherits the pending finalizers, as in Python.
TEST(FinalizeFork, ChildInheritsPendingFinalizersAndRunsThemAtItsExit) {
  EXPECT_THAT(lines_of(run_exit_scenario("fork-child-exits").output),
              ElementsAre("finalizer in child", "child exited with 0", "finalizer in parent"));
}

TEST(FinalizeFork, ChildCanRunAndDestroyItsCopiesIndependently) {
  int runs = 0;
  auto a = std::make_unique<tracked>();
  pysock::finalizer f = pysock::finalize(*a, [&runs] { ++runs; });
  const auto child = pysock_test::run_in_child([&] {
    if (!f.alive()) throw std::runtime_error("not inherited");
    a.reset();
    if (runs != 1 || f.alive()) throw std::runtime_error("did not run in the child");
  });
  EXPECT_EQ(child.exit_code, 0) << child.output;
  EXPECT_EQ(runs, 0);
  EXPECT_TRUE(f.alive());
  a.reset();
  EXPECT_EQ(runs, 1);
}

// --------------------------------------------------------------------------------------------
// Threads (also run under TSan)

constexpr auto stress_budget = std::chrono::milliseconds(1500);

bool within(std::chrono::steady_clock::time_point deadline, int round, int max_rounds) {
  return round < max_rounds && std::chrono::steady_clock::now() < deadline;
}

// One round's objects, each with the same number of registrations, and what happened to each.
struct stress_round {
  static constexpr int objects = 16;
  static constexpr int per_object = 4;
  static constexpr int total = objects * per_object;

  std::vector<std::unique_ptr<resource>> owners;
  std::vector<pysock::finalizer> finalizers;
  std::vector<std::atomic<int>> ran = std::vector<std::atomic<int>>(total);
  std::vector<std::atomic<int>> detached = std::vector<std::atomic<int>>(total);
  // One more registration per object, added by its owner while the others race.
  std::vector<std::atomic<int>> late_ran = std::vector<std::atomic<int>>(objects);

  stress_round() {
    for (int o = 0; o < objects; ++o) {
      owners.push_back(std::make_unique<resource>(o));
      for (int k = 0; k < per_object; ++k) {
        const int index = o * per_object + k;
        finalizers.push_back(pysock::finalize(*owners.back(), [this, index] { ++ran[index]; }));
      }
    }
  }

  // Calls, detaches or peeks random registrations.
  void race_handles(unsigned seed) {
    std::minstd_rand random(seed);
    for (int step = 0; step < total; ++step) {
      const int index = static_cast<int>(random() % total);
      switch (random() % 3) {
        case 0:
          finalizers[index]();
          break;
        case 1:
          if (finalizers[index].detach()) ++detached[index];
          break;
        default:
          finalizers[index].peek();
      }
    }
  }

  // The owner's side: registers one more finalizer on each object, moves it (registrations
  // follow) and destroys both the moved-from and the moved-to object.
  void register_move_and_destroy() {
    for (int o = 0; o < objects; ++o) {
      pysock::finalize(*owners[o], [this, o] { ++late_ran[o]; });
      resource moved(std::move(*owners[o]));
      owners[o].reset();
    }
  }

  void expect_each_ran_or_detached_once() {
    for (int i = 0; i < total; ++i) {
      ASSERT_EQ(ran[i] + detached[i], 1) << "registration " << i << " ran " << ran[i]
                                         << " times and was detached " << detached[i] << " times";
      ASSERT_FALSE(finalizers[i].alive());
    }
    for (int o = 0; o < objects; ++o)
      ASSERT_EQ(late_ran[o], 1) << "object " << o;
  }
};

TEST(FinalizeThreaded, CallsDetachesRegistrationAndDestructionRaceAndEachRunsOnce) {
  constexpr int racers = 3;
  const auto deadline = std::chrono::steady_clock::now() + stress_budget;
  int rounds = 0;
  for (; within(deadline, rounds, 2000); ++rounds) {
    stress_round round;
    std::latch start(racers + 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < racers; ++t)
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        round.race_handles(static_cast<unsigned>(rounds * racers + t + 1));
      });
    threads.emplace_back([&] {
      start.arrive_and_wait();
      round.register_move_and_destroy();
    });
    for (auto& thread : threads)
      thread.join();
    round.expect_each_ran_or_detached_once();
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(rounds, 0);
}

TEST(FinalizeThreaded, RegistrationsOnManyThreadsRaceWithDestructionElsewhere) {
  constexpr int threads_count = 4;
  constexpr int per_thread = 2000;
  std::atomic<int> runs{0};
  std::latch start(threads_count);
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_count; ++t)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        tracked object;
        pysock::finalize(object, [&runs] { ++runs; });
        if (i % 2 == 0) pysock::finalize(object, [&runs] { ++runs; })();
      }
    });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(runs, threads_count * per_thread * 3 / 2);
}

// The exit run ends all callbacks of a process, so each round runs in a child process.
TEST(FinalizeThreaded, ExitRunRacesWithCallsAndDestruction) {
  const auto deadline = std::chrono::steady_clock::now() + stress_budget;
  for (int round = 0; within(deadline, round, 50); ++round) {
    const auto child = pysock_test::run_in_child([round] {
      stress_round objects;
      std::latch start(3);
      std::thread racer([&] {
        start.arrive_and_wait();
        objects.race_handles(static_cast<unsigned>(round + 1));
      });
      std::thread owner([&] {
        start.arrive_and_wait();
        objects.register_move_and_destroy();
      });
      start.arrive_and_wait();
      pysock::run_exit_finalizers();
      racer.join();
      owner.join();
      for (int i = 0; i < stress_round::total; ++i) {
        if (objects.ran[i] + objects.detached[i] > 1) throw std::runtime_error("ran twice");
        if (objects.finalizers[i].alive()) throw std::runtime_error("alive after the exit run");
      }
      for (int o = 0; o < stress_round::objects; ++o)
        if (objects.late_ran[o] > 1) throw std::runtime_error("late registration ran twice");
    });
    ASSERT_FALSE(child.timed_out);
    ASSERT_EQ(child.exit_code, 0) << "round " << round << ": " << child.output;
  }
}

// A second caller of run_exit_finalizers() returns only once the run is over.
TEST(FinalizeThreaded, ConcurrentExitRunCallersWaitForTheRun) {
  const auto child = pysock_test::run_in_child([] {
    std::atomic<bool> callback_started{false};
    std::atomic<bool> callback_finished{false};
    tracked object;
    pysock::finalize(object, [&] {
      callback_started = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      callback_finished = true;
    });
    std::thread first([] { pysock::run_exit_finalizers(); });
    while (!callback_started)
      std::this_thread::yield();
    pysock::run_exit_finalizers();
    const bool finished_when_returned = callback_finished;
    first.join();
    if (!finished_when_returned) throw std::runtime_error("returned before the run was over");
  });
  EXPECT_FALSE(child.timed_out);
  EXPECT_EQ(child.exit_code, 0) << child.output;
}

// Waits (bounded) until `flag` is set.
bool wait_for(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!flag && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  return flag;
}

// A child forked while another thread runs the exit run gets its own run for what is pending.
TEST(FinalizeThreaded, ChildForkedDuringAnotherThreadsExitRunRunsTheRestItself) {
  const auto child = pysock_test::run_in_child([] {
    std::atomic<bool> started{false};
    std::atomic<bool> go{false};
    std::atomic<int> older_runs{0};
    tracked object;
    pysock::finalize(object, [&older_runs] { ++older_runs; });
    pysock::finalize(object, [&] {  // newest: the exit run starts here and blocks
      started = true;
      wait_for(go);
    });
    std::thread runner([] { pysock::run_exit_finalizers(); });
    if (!wait_for(started)) throw std::runtime_error("the exit run did not start");
    const auto grandchild = pysock_test::run_in_child(
        [&older_runs] {
          pysock::run_exit_finalizers();
          if (older_runs != 1) throw std::runtime_error("pending finalizer did not run");
        },
        std::chrono::seconds(10));
    go = true;
    runner.join();
    if (grandchild.exit_code != 0) throw std::runtime_error("grandchild: " + grandchild.output);
    if (older_runs != 1) throw std::runtime_error("the parent's run missed the older finalizer");
  });
  EXPECT_FALSE(child.timed_out);
  EXPECT_EQ(child.exit_code, 0) << child.output;
}

// fork() while other threads hold the registry lock: the child must still be able to use it.
TEST(FinalizeThreaded, ForkWhileOtherThreadsRegisterLeavesTheChildUsable) {
  // The child allocates, which glibc's malloc allows after a fork from a threaded process;
  // clang 14's ASan allocator can be left locked by another thread (google/sanitizers#1814).
  if (pysock_test::address_sanitized) GTEST_SKIP() << "ASan's allocator is not fork-safe";
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&] {
      while (!stop) {
        tracked object;
        pysock::finalize(object, [] {});
      }
    });
  bool all_ok = true;
  for (int i = 0; i < 20 && all_ok; ++i) {
    const auto child = pysock_test::run_in_child(
        [] {
          int runs = 0;
          {
            tracked object;
            pysock::finalize(object, [&runs] { ++runs; });
          }
          if (runs != 1) throw std::runtime_error("no run in the child");
        },
        std::chrono::seconds(10));
    all_ok = !child.timed_out && child.exit_code == 0;
    EXPECT_TRUE(all_ok) << "fork " << i << ": " << child.output;
  }
  stop = true;
  for (auto& thread : threads)
    thread.join();
}

}  // namespace
