// The main of every test executable: GoogleTest plus a check that the test leaked no file
// descriptor (the set of open fds in /proc/self/fd is the same before and after).
#include <gtest/gtest.h>

#include "support/helpers.hpp"

namespace {

class fd_leak_check : public ::testing::Environment {
 public:
  void SetUp() override { before_ = pysock_test::open_fds(); }
  void TearDown() override {
    auto after = pysock_test::open_fds();
    EXPECT_EQ(pysock_test::describe_fds(before_), pysock_test::describe_fds(after))
        << "file descriptors leaked by the test";
  }

 private:
  std::vector<int> before_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new fd_leak_check);
  return RUN_ALL_TESTS();
}
