#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/algos/registry.h"
#include "base/params.h"
#include "core/rl/tabular.h"
#include "envs/frozen_lake.h"
#include "envs/registry.h"

using namespace dl;

TEST_CASE("declared parameters: defaults, validation messages, JSON round trip") {
    auto args = make_algo_args("q_learning", {});
    CHECK(get_param(*args, "alpha") == "0.1");
    set_param(*args, "alpha", "0.25");
    CHECK(get_param(*args, "alpha") == "0.25");

    // A bad value names itself and the allowed range.
    try {
        set_param(*args, "alpha", "2");
        FAIL("alpha=2 accepted");
    } catch (const ParamError& e) {
        CHECK(std::string(e.what()) == "alpha=2 is not allowed: expected a number in [0, 1]");
    }
    CHECK_THROWS_WITH_AS(set_param(*args, "alpha", "abc"), doctest::Contains("alpha=abc"), ParamError);
    CHECK_THROWS_WITH_AS(set_param(*args, "episodes", "1.5"), doctest::Contains("an integer in [1,"), ParamError);
    CHECK_THROWS_WITH_AS(set_param(*args, "epsilon_schedule", "cosine"),
                         doctest::Contains("one of constant, linear, exponential"), ParamError);
    CHECK_THROWS_WITH_AS(set_param(*args, "alpah", "0.1"), doctest::Contains("unknown parameter 'alpah'"), ParamError);
    // A failed set leaves the old value.
    CHECK(get_param(*args, "alpha") == "0.25");

    auto j = params_to_json(*args);
    CHECK(j["alpha"].get<double>() == 0.25);
    auto fresh = make_algo_args("q_learning", {});
    params_from_json(*fresh, j);
    CHECK(params_to_json(*fresh) == j);
}

TEST_CASE("every algorithm and env declares its parameters with a doc and a sane range") {
    for (const auto& info : algo_registry()) {
        auto a = info.make_args();
        auto specs = describe(*a);
        CHECK_MESSAGE(!specs.empty(), info.id);
        for (const auto& s : specs) {
            CHECK_MESSAGE(!s.doc.empty(), info.id << "." << s.name);
            if (s.type == ParamType::Real || s.type == ParamType::Integer) CHECK(s.lo <= s.hi);
            // The default itself passes validation.
            CHECK_NOTHROW(set_param(*a, s.name, s.default_value));
        }
    }
    auto e = make_env_args("FrozenLake-v1", {{"is_slippery", "false"}});
    CHECK(get_param(*e, "is_slippery") == "false");
    CHECK_THROWS_WITH_AS(make_env_args("FrozenLake-v1", {{"success_rate", "1.5"}}),
                         doctest::Contains("success_rate=1.5 is not allowed"), ParamError);
}

TEST_CASE("epsilon schedules: constant, linear and exponential with a floor") {
    EpsilonSchedule e;
    e.schedule = "constant", e.start = 0.3;
    CHECK(e.at(0) == 0.3);
    CHECK(e.at(100000) == 0.3);
    e.schedule = "linear", e.start = 1.0, e.floor = 0.1, e.decay_episodes = 100;
    CHECK(e.at(0) == doctest::Approx(1.0));
    CHECK(e.at(50) == doctest::Approx(0.55));
    CHECK(e.at(100) == doctest::Approx(0.1));
    CHECK(e.at(1000) == doctest::Approx(0.1));
    e.schedule = "exponential", e.decay = 0.5;
    CHECK(e.at(1) == doctest::Approx(0.5));
    CHECK(e.at(2) == doctest::Approx(0.25));
    CHECK(e.at(10) == doctest::Approx(0.1));
}

TEST_CASE("format_number round-trips") {
    for (double x : {0.1, 1.0 / 3, 1e-12, 123456789.0, -2.5}) CHECK(std::strtod(format_number(x).c_str(), nullptr) == x);
    CHECK(format_number(0.1) == "0.1");
}
