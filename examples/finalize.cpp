// Attaching cleanup to objects with pysock::finalize (Python's weakref.finalize): a scratch file
// is removed when the object using it goes away, when asked to, or at the latest when the
// program exits, even through std::exit() from the middle of main.
#include <unistd.h>
#include <pysock/finalize.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

namespace {

const fs::path workspace =
    fs::temp_directory_path() / ("pysock-finalize-example-" + std::to_string(::getpid()));

void remove_file(const fs::path& path) {
  fs::remove(path);
  std::cout << "  removed " << path.filename() << "\n";
}

// Owns a scratch file. Deriving from pysock::finalizable is all it takes to accept finalizers.
class scratch_file : public pysock::finalizable {
 public:
  explicit scratch_file(fs::path path) : path_(std::move(path)) {
    std::ofstream(path_) << "scratch\n";
    // The callback gets the path by value. It must not hold `this` (it runs after the object is
    // gone) nor a shared_ptr to the object (that would keep it alive).
    cleanup_ = pysock::finalize(*this, remove_file, path_);
  }
  scratch_file(scratch_file&&) noexcept = default;  // the cleanup follows the file
  scratch_file& operator=(scratch_file&&) noexcept = default;

  // Removes the file now; the cleanup runs at most once, so nothing happens later.
  void remove() { cleanup_(); }

 private:
  fs::path path_;
  pysock::finalizer cleanup_;
};

}  // namespace

int main() {
  // Registered before the first finalizer, so it runs after all of them (as in Python).
  std::atexit([] {
    const bool clean = !fs::exists(workspace);
    std::cout << (clean ? "all cleaned up\n" : "left behind: " + workspace.string() + "\n");
    std::cout.flush();
    if (!clean) std::_Exit(1);
  });
  fs::create_directory(workspace);
  // make_finalizable: finalizers for a type you cannot change (here the directory's path).
  auto directory = pysock::make_finalizable<fs::path>(workspace);
  pysock::finalize(
      directory,
      [](const fs::path& path) {
        fs::remove(path);  // not remove_all: it is registered first, so it runs last
        std::cout << "  removed the directory\n";
      },
      workspace);

  std::cout << "an object going out of scope:\n";
  { scratch_file a(workspace / "a.txt"); }
  std::cout << "removed on request, once:\n";
  scratch_file b(workspace / "b.txt");
  b.remove();
  b.remove();
  std::cout << "a moved object takes its cleanup along:\n";
  {
    scratch_file c(workspace / "c.txt");
    scratch_file kept = std::move(c);
    std::cout << "  moved\n";
  }
  std::cout << "leaving with std::exit(): what is left goes, newest first:\n";
  scratch_file d(workspace / "d.txt");
  std::exit(0);
}
