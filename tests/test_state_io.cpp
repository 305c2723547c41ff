// StateIO (base/state_io.h): one function per type both saves and loads a state; bytes read back are hostile until
// every count and section is checked.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "base/state_io.h"

using namespace dl;

TEST_CASE("StateIO: a state saved and loaded by the same code; hostile bytes are refused, saying where") {
    std::vector<double> q = {1.5, -2.0, 3.25};
    Rng rng(42);
    rng.next_u64();
    int64_t episode = 17;
    std::string name = "lake";
    StateIO out = StateIO::saver();
    out.section("algo");
    out(q, rng, episode, name);
    const std::string bytes = out.take();

    std::vector<double> q2;
    Rng rng2(0);
    int64_t episode2 = 0;
    std::string name2;
    StateIO in = StateIO::loader(bytes);
    in.section("algo");
    in(q2, rng2, episode2, name2);
    in.finish();
    CHECK(q2 == q);
    CHECK(episode2 == 17);
    CHECK(name2 == "lake");
    CHECK(rng2.next_u64() == rng.next_u64());

    // Truncated anywhere: refused, never read past the end.
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        StateIO t = StateIO::loader(std::string_view(bytes).substr(0, cut));
        CHECK_THROWS_AS((t.section("algo"), t(q2, rng2, episode2, name2), t.finish()), StateError);
    }
    // A section of another name, and bytes left over, say so.
    StateIO wrong = StateIO::loader(bytes);
    CHECK_THROWS_WITH_AS(wrong.section("adam"), doctest::Contains("expected section 'adam', found 'algo'"), StateError);
    const std::string longer = bytes + "xx";
    StateIO extra = StateIO::loader(longer);
    extra.section("algo"), extra(q2, rng2, episode2, name2);
    CHECK_THROWS_WITH_AS(extra.finish(), doctest::Contains("2 bytes left over"), StateError);
    // A huge count is refused before anything is allocated.
    std::string huge = bytes;
    const uint64_t big = uint64_t(1) << 60;
    std::memcpy(huge.data() + 1 + 4, &big, 8);  // the count of q, after the section's length byte and name
    StateIO h = StateIO::loader(huge);
    h.section("algo");
    CHECK_THROWS_WITH_AS(h(q2), doctest::Contains("does not fit"), StateError);
    // A matrix of another shape than the network's.
    Eigen::Matrix<float, -1, -1, Eigen::RowMajor> m = Eigen::Matrix<float, -1, -1, Eigen::RowMajor>::Ones(2, 3), m2(3, 2);
    StateIO ms = StateIO::saver();
    ms(m);
    const std::string mb = ms.take();
    StateIO ml = StateIO::loader(mb);
    CHECK_THROWS_WITH_AS(ml(m2), doctest::Contains("a 2 x 3 matrix where this run has 3 x 2"), StateError);
}
