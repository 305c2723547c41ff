// StateIO — a training state saved and loaded by the same code.
//
// Every piece of state (a Q table, a random stream, a network, an optimiser's moments, a replay buffer, an env) has
// one function, io_state(StateIO&, T&), that walks it in a fixed order: a saving archive copies each field out, a
// loading one copies it back in. One function for both directions means a field added to the save is never missing
// from the load. A checkpoint is the list of such calls an algorithm names once (RunContext::keep_state).
//
// Loading treats the bytes as hostile (a checkpoint file from disk): every count is checked against the bytes left
// before anything is allocated, and named sections must match, so a mismatch says where ("expected section 'adam',
// found 'rng'") instead of reading garbage.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/rng.h"

namespace dl {

struct StateError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class StateIO {
public:
    static StateIO saver() { return StateIO(false, {}); }
    // Reads `bytes` (kept alive by the caller). `what` names them in errors ("checkpoint at env step 5000").
    static StateIO loader(std::string_view bytes, std::string what = "checkpoint") {
        StateIO io(true, bytes);
        io.what_ = std::move(what);
        return io;
    }
    bool loading() const { return loading_; }

    // Fixed-size bytes, copied out or in.
    void bytes(void* p, size_t n) {
        if (!loading_) {
            out_.append(static_cast<const char*>(p), n);
            return;
        }
        need(n, "data");
        std::memcpy(p, in_.data() + pos_, n);
        pos_ += n;
    }
    // A count of elements: written as is, or read and checked (each element takes at least `min_bytes`, so a huge
    // count in a hostile file is refused before anything is allocated).
    size_t count(size_t n, size_t min_bytes) {
        uint64_t v = n;
        bytes(&v, sizeof v);
        if (loading_ && min_bytes > 0 && v > (in_.size() - pos_) / min_bytes)
            fail("a count of " + std::to_string(v) + " elements does not fit in the " + std::to_string(in_.size() - pos_) +
                 " bytes left");
        return size_t(v);
    }
    // A named mark: written, or read and compared.
    void section(std::string_view name) {
        if (!loading_) {
            const uint8_t n = uint8_t(std::min<size_t>(name.size(), 255));
            out_.push_back(char(n));
            out_.append(name.data(), n);
            return;
        }
        need(1, "a section name");
        const size_t n = uint8_t(in_[pos_++]);
        need(n, "a section name");
        const std::string_view got = in_.substr(pos_, n);
        pos_ += n;
        if (got != name.substr(0, 255)) fail("expected section '" + std::string(name) + "', found '" + std::string(got) + "'");
    }
    // Several fields in order: io(a, b, c).
    template <class... Ts>
    StateIO& operator()(Ts&... xs);

    // The saver's bytes.
    const std::string& data() const { return out_; }
    std::string take() { return std::move(out_); }
    // The loader read everything there was (a checkpoint from another layout leaves bytes over).
    void finish() const {
        if (loading_ && pos_ != in_.size())
            fail(std::to_string(in_.size() - pos_) + " bytes left over: it was saved by another version of the algorithm");
    }
    [[noreturn]] void fail(const std::string& why) const {
        throw StateError(what_ + ": " + why + " (at byte " + std::to_string(pos_) + ")");
    }

private:
    StateIO(bool loading, std::string_view in) : loading_(loading), in_(in) {}
    void need(size_t n, const char* what) const {
        if (n > in_.size() - pos_) fail(std::string("truncated while reading ") + what);
    }
    bool loading_;
    std::string out_;
    std::string_view in_;
    size_t pos_ = 0;
    std::string what_;
};

// ---- io_state for the basic types; each type of state adds its own (next to its definition) ----

// A dense matrix (Eigen's, without including Eigen here): its shape, then its entries. A loaded shape must be the
// one the matrix already has where it has one (networks are built before their weights are loaded), so a
// checkpoint of another architecture is refused, naming both shapes.
template <class M>
concept DenseMatrix = requires(M& m) {
    typename M::Scalar;
    m.rows();
    m.cols();
    m.data();
    m.resize(1, 1);
};
template <DenseMatrix M>
void io_state(StateIO& io, M& m);
template <class T>
void io_state(StateIO& io, std::vector<T>& v);
template <class T>
void io_state(StateIO& io, std::deque<T>& d);
template <class T, size_t N>
void io_state(StateIO& io, std::array<T, N>& a);

template <class T>
    requires(std::is_arithmetic_v<T> || std::is_enum_v<T>)
void io_state(StateIO& io, T& x) {
    io.bytes(&x, sizeof x);
}
inline void io_state(StateIO& io, bool& b) {
    uint8_t v = b;
    io.bytes(&v, 1);
    if (io.loading() && v > 1) io.fail("a flag holds " + std::to_string(v));
    b = v;
}
inline void io_state(StateIO& io, std::string& s) {
    const size_t n = io.count(s.size(), 1);
    if (io.loading()) s.resize(n);
    if (n) io.bytes(s.data(), n);
}
inline void io_state(StateIO& io, Rng& r) { io.bytes(r.words(), 4 * sizeof(uint64_t)); }

// A type with a member io_state(StateIO&).
template <class T>
    requires requires(T& t, StateIO& io) { t.io_state(io); }
void io_state(StateIO& io, T& x) {
    x.io_state(io);
}

template <DenseMatrix M>
void io_state(StateIO& io, M& m) {
    int64_t shape[2] = {int64_t(m.rows()), int64_t(m.cols())};
    io.bytes(shape, sizeof shape);
    if (io.loading()) {
        if (shape[0] < 0 || shape[1] < 0) io.fail("a negative matrix shape");
        if (m.size() > 0 && (shape[0] != m.rows() || shape[1] != m.cols()))
            io.fail("a " + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) + " matrix where this run has " +
                    std::to_string(m.rows()) + " x " + std::to_string(m.cols()));
        uint64_t n = 0;
        if (__builtin_mul_overflow(uint64_t(shape[0]), uint64_t(shape[1]), &n)) io.fail("a matrix shape that overflows");
        if (io.count(n, sizeof(typename M::Scalar)) != n) io.fail("a matrix size mismatch");
        m.resize(shape[0], shape[1]);
    } else {
        io.count(size_t(m.size()), sizeof(typename M::Scalar));
    }
    if (m.size()) io.bytes(m.data(), size_t(m.size()) * sizeof(typename M::Scalar));
}

template <class T>
void io_state(StateIO& io, std::vector<T>& v) {
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
        const size_t n = io.count(v.size(), sizeof(T));
        if (io.loading()) v.resize(n);
        if (n) io.bytes(v.data(), n * sizeof(T));
    } else {
        const size_t n = io.count(v.size(), 1);
        if (io.loading()) v.resize(n);
        for (T& x : v) io_state(io, x);
    }
}
template <class T>
void io_state(StateIO& io, std::deque<T>& d) {
    const size_t n = io.count(d.size(), 1);
    if (io.loading()) d.resize(n);
    for (T& x : d) io_state(io, x);
}
template <class T, size_t N>
void io_state(StateIO& io, std::array<T, N>& a) {
    for (T& x : a) io_state(io, x);
}

template <class... Ts>
StateIO& StateIO::operator()(Ts&... xs) {
    (io_state(*this, xs), ...);
    return *this;
}

}  // namespace dl
