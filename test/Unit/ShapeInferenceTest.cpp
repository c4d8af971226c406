//===- ShapeInferenceTest.cpp - shape rules of tg ops ---------------------===//

#include "tg/ShapeInference.h"

#include <gtest/gtest.h>

using namespace mlir::tg;

namespace {
constexpr int64_t D = kDynamic;

/// Runs a rule and returns its shape, failing the test if it reported an error.
Shape ok(ShapeOrError result, const std::string &error) {
  EXPECT_TRUE(result.has_value()) << error;
  return result.value_or(Shape{});
}

TEST(FormatShape, PrintsDynamicDimsAsQuestionMarks) {
  EXPECT_EQ(formatShape({128, D, 10}), "[128, ?, 10]");
  EXPECT_EQ(formatShape({}), "[]");
}

TEST(NormalizeAxis, NegativeAxesCountFromTheEnd) {
  std::string error;
  EXPECT_EQ(normalizeAxis(-1, 3, error), 2);
  EXPECT_EQ(normalizeAxis(0, 3, error), 0);
  EXPECT_FALSE(normalizeAxis(3, 3, error));
  EXPECT_EQ(error, "axis 3 is out of range for rank 3 (expected in [-3, 3))");
  EXPECT_FALSE(normalizeAxis(-4, 3, error));
}

TEST(Broadcast, FollowsNumpyRules) {
  std::string error;
  EXPECT_EQ(ok(broadcastShapes({128, 512}, {512}, error), error), (Shape{128, 512}));
  EXPECT_EQ(ok(broadcastShapes({4, 1, 3}, {5, 1}, error), error), (Shape{4, 5, 3}));
  EXPECT_EQ(ok(broadcastShapes({}, {2, 3}, error), error), (Shape{2, 3}));
  EXPECT_EQ(ok(broadcastShapes({1}, {1}, error), error), (Shape{1}));
}

TEST(Broadcast, DynamicDimensions) {
  std::string error;
  EXPECT_EQ(ok(broadcastShapes({D, 3}, {1, 3}, error), error), (Shape{D, 3}));
  EXPECT_EQ(ok(broadcastShapes({D, 3}, {4, 3}, error), error), (Shape{4, 3}));
  EXPECT_EQ(ok(broadcastShapes({D}, {D}, error), error), (Shape{D}));
}

TEST(Broadcast, ReportsTheMismatchedDimension) {
  std::string error;
  EXPECT_FALSE(broadcastShapes({4, 3}, {5}, error));
  EXPECT_EQ(error, "shapes [4, 3] and [5] do not broadcast: dimension -1 is 3 vs 5");
}

TEST(BroadcastTo, OneDirection) {
  std::string error;
  EXPECT_TRUE(isBroadcastableTo({512}, {128, 512}, error));
  EXPECT_TRUE(isBroadcastableTo({1, 512}, {128, 512}, error));
  EXPECT_FALSE(isBroadcastableTo({128, 512}, {512}, error));
  EXPECT_FALSE(isBroadcastableTo({3}, {4, 5}, error));
  EXPECT_NE(error.find("expected 1 or 5"), std::string::npos) << error;
}

TEST(Reduce, RemovesOrKeepsAxes) {
  std::string error;
  EXPECT_EQ(ok(reduceShape({4, 5, 6}, {1}, false, error), error), (Shape{4, 6}));
  EXPECT_EQ(ok(reduceShape({4, 5, 6}, {-1, 0}, true, error), error), (Shape{1, 5, 1}));
  EXPECT_EQ(ok(reduceShape({4, 5}, {0, 1}, false, error), error), (Shape{}));
  EXPECT_FALSE(reduceShape({4, 5}, {1, -1}, false, error));
  EXPECT_EQ(error, "axis -1 is reduced twice");
  EXPECT_FALSE(reduceShape({4, 5}, {2}, false, error));
}

TEST(Matmul, PlainTransposedAndBatched) {
  std::string error;
  EXPECT_EQ(ok(matmulShape({128, 784}, {784, 512}, false, false, error), error),
            (Shape{128, 512}));
  EXPECT_EQ(ok(matmulShape({128, 784}, {512, 784}, false, true, error), error),
            (Shape{128, 512}));
  EXPECT_EQ(ok(matmulShape({784, 128}, {784, 512}, true, false, error), error),
            (Shape{128, 512}));
  EXPECT_EQ(ok(matmulShape({16, 4, 128, 64}, {16, 4, 128, 64}, false, true, error),
                error),
            (Shape{16, 4, 128, 128}));
  // Batch dimensions broadcast: a weight without batch dims applies to all.
  EXPECT_EQ(ok(matmulShape({8, 10, 32}, {32, 16}, false, false, error), error),
            (Shape{8, 10, 16}));
}

TEST(Matmul, NamesTheContractingMismatch) {
  std::string error;
  EXPECT_FALSE(matmulShape({128, 784}, {512, 512}, false, false, error));
  EXPECT_EQ(error, "contracting dimensions differ: lhs has 784 (dim 1), rhs has 512 (dim 0)");
  EXPECT_FALSE(matmulShape({4}, {4, 4}, false, false, error));
  EXPECT_FALSE(matmulShape({2, 4, 4}, {3, 4, 4}, false, false, error));
  EXPECT_NE(error.find("batch dimensions"), std::string::npos) << error;
}

TEST(Transpose, PermutesAndRejectsNonPermutations) {
  std::string error;
  EXPECT_EQ(ok(transposeShape({4, 5, 6}, {2, 0, 1}, error), error), (Shape{6, 4, 5}));
  EXPECT_FALSE(transposeShape({4, 5}, {0, 0}, error));
  EXPECT_FALSE(transposeShape({4, 5}, {0}, error));
}

TEST(Slice, StridedExtents) {
  std::string error;
  EXPECT_EQ(ok(sliceShape({4, 8}, {0, 2}, {4, 8}, {1, 2}, error), error),
            (Shape{4, 3}));
  EXPECT_EQ(ok(sliceShape({10}, {3}, {3}, {}, error), error), (Shape{0}));
  EXPECT_FALSE(sliceShape({4}, {0}, {5}, {}, error));
  EXPECT_FALSE(sliceShape({4}, {0}, {4}, {0}, error));
  EXPECT_FALSE(sliceShape({4, 4}, {0}, {4}, {}, error));
}

TEST(Pad, AddsLowAndHigh) {
  std::string error;
  EXPECT_EQ(ok(padShape({8, 3, 28, 28}, {0, 0, 1, 1}, {0, 0, 2, 1}, {}, error), error),
            (Shape{8, 3, 31, 30}));
  EXPECT_FALSE(padShape({4}, {-1}, {0}, {}, error));
}

TEST(Pad, InteriorGoesBetweenNeighbours) {
  std::string error;
  EXPECT_EQ(ok(padShape({3, 2}, {0, 1}, {0, 0}, {1, 2}, error), error), (Shape{5, 5}));
  EXPECT_EQ(ok(padShape({0}, {1}, {1}, {3}, error), error), (Shape{2}));
  EXPECT_FALSE(padShape({3}, {0}, {0}, {-1}, error));
  EXPECT_FALSE(padShape({3}, {0}, {0}, {1, 1}, error));
}

TEST(Concat, SumsTheAxisAndChecksTheRest) {
  std::string error;
  EXPECT_EQ(ok(concatShape({Shape{4, 2}, Shape{4, 3}}, 1, error), error), (Shape{4, 5}));
  EXPECT_EQ(ok(concatShape({Shape{4, 2}, Shape{D, 3}}, -1, error), error), (Shape{4, 5}));
  EXPECT_FALSE(concatShape({Shape{4, 2}, Shape{5, 3}}, 1, error));
  EXPECT_FALSE(concatShape({Shape{4, 2}, Shape{4}}, 0, error));
}

TEST(Gather, SplicesTheIndexShape) {
  std::string error;
  EXPECT_EQ(ok(gatherShape({50257, 768}, {8, 1024}, 0, error), error),
            (Shape{8, 1024, 768}));
  EXPECT_EQ(ok(gatherShape({4, 5, 6}, {3}, 1, error), error), (Shape{4, 3, 6}));
  EXPECT_FALSE(gatherShape({4, 5}, {3}, 2, error));
}

TEST(Conv2D, OutputSize) {
  std::string error;
  EXPECT_EQ(ok(conv2dShape({8, 3, 32, 32}, {16, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1},
                           error),
               error),
            (Shape{8, 16, 32, 32}));
  EXPECT_EQ(ok(conv2dShape({1, 1, 28, 28}, {4, 1, 5, 5}, {2, 2}, {0, 0}, {1, 1},
                           error),
               error),
            (Shape{1, 4, 12, 12}));
  EXPECT_EQ(ok(conv2dShape({1, 1, 9, 9}, {1, 1, 3, 3}, {1, 1}, {0, 0}, {2, 2},
                           error),
               error),
            (Shape{1, 1, 5, 5}));
  EXPECT_FALSE(conv2dShape({8, 3, 32, 32}, {16, 4, 3, 3}, {1, 1}, {0, 0}, {1, 1},
                           error));
  EXPECT_EQ(error, "input has 3 channels but weight expects 4");
  EXPECT_FALSE(conv2dShape({1, 1, 2, 2}, {1, 1, 3, 3}, {1, 1}, {0, 0}, {1, 1},
                           error));
}

TEST(ShapesCompatible, DynamicMatchesAnything) {
  EXPECT_TRUE(shapesCompatible({D, 3}, {4, 3}));
  EXPECT_FALSE(shapesCompatible({4, 3}, {4, 4}));
  EXPECT_FALSE(shapesCompatible({4}, {4, 1}));
}
} // namespace
