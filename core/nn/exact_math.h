// Element-wise functions whose every lane is the same on every CPU.
//
// Eigen's float .sqrt() (with EIGEN_FAST_MATH, its default) starts from the CPU's approximate reciprocal square
// root (vrsqrtps) and refines it with one Newton step. That approximation is not specified bit for bit: AMD and
// Intel CPUs return different low bits, so the same binary's Adam updates — and every number learned after them —
// differ between an AMD and an Intel laptop (measured: on 4096 inputs, 1476 of Eigen's results here differ from the
// correctly rounded root, 1432 under another CPU model, and not the same ones). exact_sqrt uses the IEEE square
// root instruction, correctly rounded in every lane, vectorised just as wide.
#pragma once
#include <cmath>

#include <Eigen/Core>

namespace dl::nn {

struct ExactSqrtOp {
    float operator()(float x) const { return std::sqrt(x); }
#if defined(EIGEN_VECTORIZE_AVX512)
    Eigen::internal::Packet16f packetOp(const Eigen::internal::Packet16f& x) const { return _mm512_sqrt_ps(x); }
#endif
#if defined(EIGEN_VECTORIZE_AVX)
    Eigen::internal::Packet8f packetOp(const Eigen::internal::Packet8f& x) const { return _mm256_sqrt_ps(x); }
#endif
#if defined(EIGEN_VECTORIZE_SSE)
    Eigen::internal::Packet4f packetOp(const Eigen::internal::Packet4f& x) const { return _mm_sqrt_ps(x); }
#endif
};

// √x of a float array expression, correctly rounded everywhere: x.unaryExpr(ExactSqrtOp()).
template <class Derived>
auto exact_sqrt(const Eigen::ArrayBase<Derived>& x) {
    return x.unaryExpr(ExactSqrtOp());
}

}  // namespace dl::nn

namespace Eigen::internal {
template <>
struct functor_traits<dl::nn::ExactSqrtOp> {
    enum {
        Cost = 5 * NumTraits<float>::MulCost,
#if defined(EIGEN_VECTORIZE_SSE)
        PacketAccess = 1
#else
        PacketAccess = 0  // other architectures: std::sqrt lane by lane (IEEE, correctly rounded)
#endif
    };
};
}  // namespace Eigen::internal
