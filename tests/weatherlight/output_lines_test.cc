#include <gtest/gtest.h>

#include "weatherlight/output_lines.h"

namespace esper::weatherlight {
namespace {

TEST(OutputLinesTest, SplitsAcrossReadsAndStripsCarriageReturns) {
  OutputLines lines;
  EXPECT_TRUE(lines.append("hel").empty());
  EXPECT_EQ(lines.append("lo\r\nwor"), std::vector<std::string>{"hello"});
  EXPECT_EQ(lines.append("ld\n\n"), (std::vector<std::string>{"world", ""}));
  EXPECT_EQ(lines.append("tail"), std::vector<std::string>{});
  EXPECT_EQ(lines.finish(), std::vector<std::string>{"tail"});
  EXPECT_TRUE(lines.finish().empty());
}

TEST(OutputLinesTest, CutsOverlongLines) {
  OutputLines lines(4);
  EXPECT_EQ(lines.append("abcdefghij\n"), (std::vector<std::string>{"abcd", "efgh", "ij"}));
}

}  // namespace
}  // namespace esper::weatherlight
