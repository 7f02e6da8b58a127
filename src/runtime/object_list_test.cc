// ObjectList (object_list.h): objects keep their addresses across growth past
// the inline part and across chunks, and are destroyed once each, in the order
// they were added.
#include "runtime/object_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::runtime {
namespace {

struct Tracked {
  Tracked(int id, std::vector<int>* log)
      : id(id), log(log), text(std::to_string(id) + "-long-enough-for-the-heap") {}
  Tracked(const Tracked&) = delete;
  ~Tracked() { log->push_back(id); }
  int id;
  std::vector<int>* log;
  std::string text;
};

TEST(ObjectList, AddressesAreStableAndDestructionIsInOrder) {
  std::vector<int> destroyed;
  {
    ObjectList<Tracked, 3> list;
    EXPECT_TRUE(list.empty());
    std::vector<Tracked*> addrs;
    // 3 inline, then chunks of 6, 12 and part of 24.
    for (int i = 0; i < 30; ++i) {
      Tracked& t = list.emplace_back(i, &destroyed);
      EXPECT_EQ(t.id, i);
      addrs.push_back(&t);
      EXPECT_EQ(list.size(), static_cast<size_t>(i + 1));
    }
    for (int i = 0; i < 30; ++i) {
      EXPECT_EQ(addrs[static_cast<size_t>(i)]->id, i);
      EXPECT_EQ(addrs[static_cast<size_t>(i)]->text,
                std::to_string(i) + "-long-enough-for-the-heap");
    }
    EXPECT_TRUE(destroyed.empty());
  }
  std::vector<int> want;
  for (int i = 0; i < 30; ++i) want.push_back(i);
  EXPECT_EQ(destroyed, want);
}

TEST(ObjectList, InlineOnlyAndEmptyListsDestroyWhatTheyHold) {
  std::vector<int> destroyed;
  { ObjectList<Tracked, 4> empty; }
  EXPECT_TRUE(destroyed.empty());
  {
    ObjectList<Tracked, 4> list;
    list.emplace_back(7, &destroyed);
    list.emplace_back(8, &destroyed);
  }
  EXPECT_EQ(destroyed, (std::vector<int>{7, 8}));
  destroyed.clear();
  {
    ObjectList<Tracked, 2> list;  // exactly full inline, then one more in a chunk
    for (int i = 0; i < 3; ++i) list.emplace_back(i, &destroyed);
  }
  EXPECT_EQ(destroyed, (std::vector<int>{0, 1, 2}));
}

}  // namespace
}  // namespace weft::runtime
