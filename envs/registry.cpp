#include "envs/registry.h"

#include "envs/cartpole.h"
#include "envs/frozen_lake.h"
#include "envs/minatar/minatar.h"
#include "envs/mountain_car.h"
#include "envs/pendulum.h"

namespace dl {

namespace {

template <class A>
EnvInfo entry(std::string id, std::string summary, std::function<void(A&)> defaults,
                      std::function<std::unique_ptr<Env>(const A&)> make) {
    return {std::move(id), std::move(summary),
            [defaults] {
                auto a = std::make_unique<A>();
                defaults(*a);
                return std::unique_ptr<ArgsBase>(std::move(a));
            },
            [make](const ArgsBase& a) { return make(static_cast<const A&>(a)); }};
}

std::unique_ptr<Env> make_lake(const FrozenLakeArgs& a) { return std::make_unique<FrozenLake>(a); }
std::unique_ptr<Env> make_cartpole(const CartPoleArgs& a) { return std::make_unique<CartPole>(a); }
std::unique_ptr<Env> make_pendulum(const PendulumArgs& a) { return std::make_unique<Pendulum>(a); }
std::unique_ptr<Env> make_mountain_car(const MountainCarArgs& a) { return std::make_unique<MountainCarContinuous>(a); }

EnvInfo minatar_entry(const std::string& game, const std::string& summary) {
    return entry<MinAtarArgs>("MinAtar/" + game + "-v1", summary, [](MinAtarArgs&) {},
                              [game](const MinAtarArgs& a) { return std::make_unique<MinAtarEnv>(game, a); });
}

}  // namespace

const std::vector<EnvInfo>& env_registry() {
    static const std::vector<EnvInfo> envs = {
        entry<FrozenLakeArgs>("FrozenLake-v1", "Gymnasium's Frozen Lake: reach G without falling into a hole",
                                      [](FrozenLakeArgs&) {}, make_lake),
        entry<FrozenLakeArgs>("FrozenLake8x8-v1", "FrozenLake-v1 on Gymnasium's 8x8 map (200-step limit)",
                                      [](FrozenLakeArgs& a) { a.map = "8x8"; }, make_lake),
        entry<FrozenLakeArgs>(
            "FrozenLakeLecture-v0",
            "the lecture variant: home +10, holes -10, one coin worth +1 (collected once; state includes it)",
            [](FrozenLakeArgs& a) {
                a.map = "SFFF/FHCH/FFFH/HFFG";
                a.reward_goal = 10;
                a.reward_hole = -10;
                a.reward_coin = 1;
            },
            make_lake),
        entry<CartPoleArgs>("CartPole-v1", "Gymnasium's cart-pole: keep the pole upright by pushing the cart",
                                    [](CartPoleArgs&) {}, make_cartpole),
        entry<PendulumArgs>("Pendulum-v1", "Gymnasium's pendulum: swing up and balance with a torque in [-2, 2] (continuous)",
                            [](PendulumArgs&) {}, make_pendulum),
        entry<MountainCarArgs>("MountainCarContinuous-v0",
                               "Gymnasium's continuous mountain car: rock the car up to the flag, force in [-1, 1]",
                               [](MountainCarArgs&) {}, make_mountain_car),
        minatar_entry("Breakout", "MinAtar Breakout: bounce the ball off a one-cell paddle into three rows of bricks"),
        minatar_entry("Asterix", "MinAtar Asterix: collect gold, dodge the enemies streaming in from both sides"),
        minatar_entry("Freeway", "MinAtar Freeway: get the chicken across eight lanes of traffic (2501 steps)"),
        minatar_entry("Seaquest", "MinAtar Seaquest: shoot, rescue divers, surface for oxygen"),
        minatar_entry("SpaceInvaders", "MinAtar Space Invaders: shoot the marching alien block before it lands"),
    };
    return envs;
}

const EnvInfo& find_env(const std::string& id) {
    std::string known;
    for (const auto& e : env_registry()) {
        if (e.id == id) return e;
        known += (known.empty() ? "" : ", ") + e.id;
    }
    throw ParamError("unknown environment '" + id + "': known environments are " + known);
}

std::unique_ptr<ArgsBase> make_env_args(const std::string& id, const std::map<std::string, std::string>& overrides) {
    auto a = find_env(id).make_args();
    for (const auto& [k, v] : overrides) {
        try {
            set_param(*a, k, v);
        } catch (const ParamError& e) {
            throw ParamError("environment " + id + ": " + e.what());
        }
    }
    try {
        a->check();
    } catch (const ParamError& e) {
        throw ParamError("environment " + id + ": " + e.what());
    }
    return a;
}

std::unique_ptr<Env> make_env(const std::string& id, const ArgsBase& args) { return find_env(id).make(args); }

}  // namespace dl
