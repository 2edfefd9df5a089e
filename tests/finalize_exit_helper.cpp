// Exit scenarios for test_finalize: `finalize_exit_helper <scenario>` runs one scenario in a fresh
// process (what it registered with std::atexit before is part of the scenario) and leaves the
// way the scenario says. Each line it prints is flushed at once, so the order of stdout and
// stderr lines in the captured output is the order of events.
#include <sys/wait.h>
#include <unistd.h>
#include <pysock/finalize.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

struct object : pysock::finalizable {};

// Lives until the process ends, like the class object of CPython's test_atexit.
object& immortal() {
  static object* const instance = new object;
  return *instance;
}

// CPython's FinalizeTestCase.test_atexit: expected stdout is f4, f3, g1, f1; the exception of f3
// goes to the error handler and the run goes on; g1, created during the run, runs next.
void cpython_atexit() {
  const std::string global_var = "foobar";
  object& obj = immortal();
  pysock::finalize(obj, say, "f1 " + global_var);
  pysock::finalize(obj, say, "f2 " + global_var).atexit(false);
  pysock::finalize(obj, [&obj] {
    say("f3 error");
    pysock::finalize(obj, say, "g1");
    throw std::runtime_error("division by zero");
  });
  pysock::finalize(obj, say, "f4 " + global_var);
  std::exit(0);
}

// Checklist 7.12 / 12.12: std::atexit handlers are LIFO and the finalizers run from one hook
// installed with the first registration.
void atexit_handlers() {
  std::atexit([] { say("handler registered before the first finalizer"); });
  pysock::finalize(immortal(), say, "finalizer");
  std::atexit([] { say("handler registered after the first finalizer"); });
}

// After the exit run no callback runs: calls only mark dead, destruction runs nothing.
void after_exit_run() {
  auto early = std::make_unique<object>();
  pysock::finalizer pending = pysock::finalize(*early, say, "pending finalizer");
  pending.atexit(false);
  pysock::run_exit_finalizers();
  auto late = std::make_unique<object>();
  pysock::finalizer created_after = pysock::finalize(*late, say, "created after the run");
  say(std::string("call after the run: ") + (created_after() ? "ran" : "did not run"));
  say(std::string("alive after the call: ") + (created_after.alive() ? "yes" : "no"));
  pysock::finalize(*late, say, "destroyed after the run");
  late.reset();
  early.reset();
  say(std::string("pending alive after its object died: ") + (pending.alive() ? "yes" : "no"));
}

// run_exit_finalizers() twice, then exit(): each finalizer runs once.
void run_twice() {
  pysock::finalize(immortal(), say, "ran once");
  pysock::run_exit_finalizers();
  say("second call");
  pysock::run_exit_finalizers();
  say("exiting");
}

void atexit_false() {
  pysock::finalize(immortal(), say, "runs at exit");
  pysock::finalize(immortal(), say, "atexit(false) must not run").atexit(false);
}

// _exit() skips the std::atexit hook; run_exit_finalizers() before it is the way to run them.
void underscore_exit() {
  pysock::finalize(immortal(), say, "must not run");
  ::_exit(0);
}

void run_then_underscore_exit() {
  pysock::finalize(immortal(), say, "ran before _exit");
  pysock::run_exit_finalizers();
  ::_exit(0);
}

// [basic.start.term]: statics constructed after the hook was installed are destroyed before it
// runs (their finalizers run then), statics constructed before are destroyed after it (their
// finalizers, already run or atexit(false), do nothing).
object constructed_before_the_hook;

void static_destruction() {
  pysock::finalize(constructed_before_the_hook, say, "early static: at exit");
  pysock::finalize(constructed_before_the_hook, say, "early static: must not run").atexit(false);
  static object constructed_after_the_hook;
  pysock::finalize(constructed_after_the_hook, say, "late static: destroyed before the exit run");
}

// A callback of the exit run destroys objects: their finalizers run then (the run is still on),
// and do not run a second time.
void exit_run_destroys() {
  auto* owned = new object;
  pysock::finalize(*owned, say, "owned 1");
  pysock::finalize(*owned, say, "owned 2");
  pysock::finalize(immortal(), [owned] {
    say("destroying owned");
    delete owned;
  });
}

// The child of fork() inherits pending finalizers: both processes run theirs at exit.
void fork_child_exits() {
  static std::string who = "parent";
  pysock::finalize(immortal(), [] { say("finalizer in " + who); });
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    who = "child";
    std::exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  say("child exited with " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

const std::map<std::string, std::function<void()>> scenarios = {
    {"cpython-atexit", cpython_atexit},
    {"atexit-handlers", atexit_handlers},
    {"after-exit-run", after_exit_run},
    {"run-twice", run_twice},
    {"atexit-false", atexit_false},
    {"underscore-exit", underscore_exit},
    {"run-then-underscore-exit", run_then_underscore_exit},
    {"static-destruction", static_destruction},
    {"exit-run-destroys", exit_run_destroys},
    {"fork-child-exits", fork_child_exits},
};

}  // namespace

int main(int argc, char** argv) {
  const auto scenario = argc == 2 ? scenarios.find(argv[1]) : scenarios.end();
  if (scenario == scenarios.end()) {
    std::fputs("usage: finalize_exit_helper <scenario>\n", stderr);
    return 2;
  }
  scenario->second();
  return 0;
}
