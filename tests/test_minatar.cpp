// MinAtar games against the rules in ../shared/minatar-rules.md: the hand-checkable scenarios of its appendix C,
// each game's scoring and ending rules on scripted play, sticky actions, seeding, and NumPy's random stream.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "base/rng.h"
#include "envs/minatar/minatar.h"
#include "envs/registry.h"

using namespace dl;
using namespace dl::minatar;

namespace {

MinAtarEnv make(const std::string& game, double sticky = 0.0, bool ramping = true) {
    MinAtarArgs a;
    a.sticky_action_prob = sticky;
    a.difficulty_ramping = ramping;
    return MinAtarEnv(game, a);
}

struct Cell {
    int x = -1, y = -1;
    bool operator==(const Cell&) const = default;
};

// Every lit cell of channel c, row by row.
std::vector<Cell> cells(const Obs& o, int channels, int c) {
    std::vector<Cell> out;
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x)
            if (o[size_t((y * kSize + x) * channels + c)] > 0.5f) out.push_back({x, y});
    return out;
}
Cell one(const Obs& o, int channels, int c) {
    const auto v = cells(o, channels, c);
    REQUIRE(v.size() == 1);
    return v[0];
}

// A seed whose reset puts Breakout's ball on the given side (the reset's one random draw).
uint64_t breakout_seed_with_ball_at(int x) {
    for (uint64_t s = 0;; ++s) {
        MinAtarEnv env = make("Breakout");
        if (one(env.reset(s), 4, 1).x == x) return s;
    }
}

}  // namespace

TEST_CASE("MinAtar's random stream is NumPy's legacy RandomState (MT19937, 53-bit doubles, masked integers)") {
    // numpy.random.RandomState(0).random_sample() and RandomState(42).random_sample(): well-known values.
    CHECK(NumpyRng(0).uniform() == 0.5488135039273248);
    CHECK(NumpyRng(42).uniform() == 0.3745401188473625);
    // R(n) takes one word per try under the smallest all-ones mask ≥ n − 1 and never exceeds n − 1.
    NumpyRng r(7);
    std::map<int, int> hist;
    for (int i = 0; i < 50000; ++i) hist[r.below(5)]++;
    CHECK(hist.size() == 5);
    for (auto [v, n] : hist) CHECK(std::abs(n - 10000) < 500);
    CHECK(NumpyRng(3).below(1) == 0);
}

TEST_CASE("MinAtar envs: ids, spaces, channel order, minimal action sets") {
    const std::map<std::string, std::pair<int, std::vector<int>>> expect = {
        {"Breakout", {4, {0, 1, 3}}},       {"Asterix", {4, {0, 1, 2, 3, 4}}},   {"Freeway", {7, {0, 2, 4}}},
        {"Seaquest", {10, {0, 1, 2, 3, 4, 5}}}, {"SpaceInvaders", {6, {0, 1, 3, 5}}},
    };
    for (const auto& [game, e] : expect) {
        CAPTURE(game);
        auto env = make_env("MinAtar/" + game + "-v1", *make_env_args("MinAtar/" + game + "-v1", {}));
        CHECK(env->id() == "MinAtar/" + game + "-v1");
        CHECK(env->action_space().n == 6);  // all six by default, as MinAtar's paper and random baseline
        CHECK(env->observation_space().shape == std::vector<int>{10, 10, e.first});
        CHECK(env->obs_dim() == 100 * e.first);
        auto minimal = make_env("MinAtar/" + game + "-v1", *make_env_args("MinAtar/" + game + "-v1", {{"actions", "minimal"}}));
        CHECK(minimal->action_space().n == int(e.second.size()));
        const auto& m = static_cast<MinAtarEnv&>(*minimal);
        for (size_t i = 0; i < e.second.size(); ++i) CHECK(m.full_action(int(i)) == e.second[i]);
    }
    CHECK(make("Seaquest").channel_names()[7] == "oxygen_guage");  // MinAtar's spelling, kept
    CHECK_THROWS_WITH_AS(make_env_args("MinAtar/Breakout-v1", {{"actions", "some"}}), doctest::Contains("all"), ParamError);
    CHECK_THROWS_WITH_AS(make_env_args("MinAtar/Breakout-v1", {{"sticky_action_prob", "1.5"}}), doctest::Contains("sticky_action_prob"),
                         ParamError);
}

TEST_CASE("Breakout: a missed ball ends the game on step 6 (appendix C, ball from the left)") {
    MinAtarEnv env = make("Breakout");
    Obs o = env.reset(breakout_seed_with_ball_at(0));
    CHECK(one(o, 4, 1) == Cell{0, 3});
    CHECK(one(o, 4, 0) == Cell{4, 9});
    CHECK(cells(o, 4, 3).size() == 30);  // rows 1-3 full of bricks
    const Cell path[] = {{1, 4}, {2, 5}, {3, 6}, {4, 7}, {5, 8}};
    for (const Cell& c : path) {
        const StepResult r = env.step(kNoop);
        CHECK(one(r.obs, 4, 1) == c);
        CHECK_FALSE(r.terminated);
    }
    const StepResult r = env.step(kNoop);
    CHECK(r.terminated);
    CHECK(r.reward == 0);
    // Once over, every step returns (0, terminal).
    CHECK(env.step(kLeft).terminated);
}

TEST_CASE("Breakout: the paddle under the ball bounces it back up (appendix C, ball from the right)") {
    MinAtarEnv env = make("Breakout");
    env.reset(breakout_seed_with_ball_at(9));
    for (int i = 0; i < 5; ++i) env.step(kNoop);
    StepResult r = env.step(kNoop);  // paddle at column 4 under the ball's old column: bounce, up-left
    CHECK_FALSE(r.terminated);
    CHECK(one(r.obs, 4, 1) == Cell{3, 8});
    CHECK(one(r.obs, 4, 2) == Cell{4, 8});  // the trail: where the ball was
    r = env.step(kNoop);
    CHECK(one(r.obs, 4, 1) == Cell{2, 7});
}

TEST_CASE("Breakout: walls and ceiling reflect, a brick gives +1 and disappears, the strike latch holds one step") {
    MinAtarEnv env = make("Breakout");
    Obs o = env.reset(breakout_seed_with_ball_at(9));
    int rewards = 0, wall_bounces = 0, steps = 0;
    Cell prev = one(o, 4, 1);
    // Keep the paddle under the ball: the ball never falls, so it reaches the bricks again and again.
    while (rewards < 5 && steps < 500) {
        const Cell ball = one(o, 4, 1), paddle = one(o, 4, 0);
        const int a = paddle.x < ball.x ? kRight : (paddle.x > ball.x ? kLeft : kNoop);
        const size_t bricks_before = cells(o, 4, 3).size();
        const StepResult r = env.step(a);
        REQUIRE_FALSE(r.terminated);
        const Cell now = one(r.obs, 4, 1);
        CHECK(std::abs(now.x - ball.x) <= 1);  // always one column per step (or none, when clamped at a wall)
        if (r.reward > 0) {
            CHECK(r.reward == 1);
            CHECK(cells(r.obs, 4, 3).size() == bricks_before - 1);
            CHECK(now.y == ball.y);  // the ball keeps its row and bounces back down
            ++rewards;
        } else {
            CHECK(cells(r.obs, 4, 3).size() == bricks_before);
        }
        if ((ball.x == 0 || ball.x == 9) && now.x == ball.x && prev.x != ball.x) ++wall_bounces;  // clamped at the wall
        CHECK(now.y >= 0);
        prev = ball;
        o = r.obs;
        ++steps;
    }
    CHECK(rewards == 5);
    CHECK(wall_bounces > 0);
}

TEST_CASE("Freeway: every episode is 2501 steps; crossing scores +1 and returns the chicken; cars push it back") {
    MinAtarEnv env = make("Freeway");
    Obs o = env.reset(3);
    CHECK(one(o, 7, 0) == Cell{4, 9});
    int steps = 0, crossings = 0, hits = 0, first_move = -1;
    double ret = 0;
    for (bool done = false; !done;) {
        const int row = one(o, 7, 0).y;
        const StepResult r = env.step(kUp);
        ++steps;
        const int now = one(r.obs, 7, 0).y;
        if (first_move < 0 && now != row) first_move = steps;
        if (r.reward > 0) {
            ++crossings;
            CHECK(now == 9);
        } else if (now == 9 && row < 9) {
            ++hits;  // pushed back to the bottom by a car
        } else {
            CHECK(now >= row - 1);  // at most one row per step, never down by itself
        }
        CHECK(cells(r.obs, 7, 1).size() == 8);  // one car per lane, rows 1-8
        ret += r.reward;
        o = r.obs;
        done = r.terminated;
    }
    CHECK(steps == 2501);
    CHECK(first_move == 4);  // the cooldown of 3 from reset
    CHECK(crossings > 0);
    CHECK(hits > 0);
    CHECK(ret == crossings);
    // A random policy too.
    Rng rng(1);
    env.reset(4);
    int n = 0;
    for (bool done = false; !done; ++n) done = env.step(int(rng.below(6))).terminated;
    CHECK(n == 2501);
}

TEST_CASE("Space Invaders: no-ops die on step 17 to the first alien shot (appendix C)") {
    MinAtarEnv env = make("SpaceInvaders");
    Obs o = env.reset(0);
    CHECK(cells(o, 6, 1).size() == 24);
    CHECK(one(o, 6, 0) == Cell{5, 9});
    CHECK(cells(o, 6, 2).size() == 24);  // the block starts moving left
    int leftmost = 2;
    for (int step = 1; step <= 17; ++step) {
        const StepResult r = env.step(kNoop);
        int lm = 9;
        for (const Cell& c : cells(r.obs, 6, 1)) lm = std::min(lm, c.x);
        if (step == 11) CHECK(one(r.obs, 6, 5) == Cell{5, 3});  // shot from the lowest alien nearest the cannon
        if (step > 11 && step < 17) CHECK(one(r.obs, 6, 5) == Cell{5, 3 + step - 11});
        if (step < 13) CHECK(lm == leftmost);
        if (step == 13) CHECK(lm == leftmost - 1);  // the first block move
        CHECK(r.reward == 0);
        CHECK(r.terminated == (step == 17));
    }
}

TEST_CASE("Space Invaders: shooting an alien gives +1 and removes both") {
    MinAtarEnv env = make("SpaceInvaders");
    env.reset(0);
    StepResult r = env.step(kFire);
    CHECK(one(r.obs, 6, 4) == Cell{5, 8});  // fired from row 9, already one row up
    double ret = 0;
    for (int i = 0; i < 8 && ret == 0; ++i) {  // rows 7, 6, 5, 4, then the block's bottom row 3
        r = env.step(kNoop);
        ret += r.reward;
    }
    CHECK(ret == 1);
    CHECK(cells(r.obs, 6, 1).size() == 23);
    CHECK(cells(r.obs, 6, 4).empty());
}

TEST_CASE("Seaquest: no-ops never end; enemies from step 21 and divers from step 31 (appendix C)") {
    MinAtarEnv env = make("Seaquest");
    Obs o = env.reset(5);
    CHECK(one(o, 10, 0) == Cell{5, 0});
    CHECK(one(o, 10, 1) == Cell{6, 0});  // facing left: the back is to the right
    CHECK(cells(o, 10, 7).size() == 10);  // a full oxygen gauge
    for (int step = 1; step <= 3000; ++step) {
        const StepResult r = env.step(kNoop);
        REQUIRE_FALSE(r.terminated);
        const size_t enemies = cells(r.obs, 10, 5).size() + cells(r.obs, 10, 6).size();
        if (step < 21) CHECK(enemies == 0);
        if (step == 21) CHECK(enemies == 1);
        const size_t divers = cells(r.obs, 10, 9).size();
        if (step < 31) CHECK(divers == 0);
        if (step == 31) CHECK(divers == 1);
        CHECK(cells(r.obs, 10, 7).size() == 10);  // no oxygen used at the surface
    }
}

TEST_CASE("Seaquest: oxygen drains under water; surfacing without a diver is fatal") {
    MinAtarEnv env = make("Seaquest");
    env.reset(1);
    StepResult r = env.step(kDown);
    for (int k = 2; k <= 20 && !r.terminated; ++k) r = env.step(kNoop);
    REQUIRE_FALSE(r.terminated);  // nothing spawns before step 21
    CHECK(cells(r.obs, 10, 7).size() == 9);  // 180 of 200 left: floor(180·10/200) = 9 cells
    r = env.step(kUp);
    CHECK(r.terminated);
    CHECK(r.reward == 0);
}

TEST_CASE("Seaquest: bullets fly from the front cell; an enemy shot gives +1") {
    // Fire along a row until something is hit: every reward must come with an enemy fewer.
    Rng rng(4);
    int hits = 0;
    for (uint64_t seed = 0; seed < 20 && hits == 0; ++seed) {
        MinAtarEnv env = make("Seaquest");
        Obs o = env.reset(seed);
        StepResult r = env.step(kDown);
        for (int t = 0; t < 150 && !r.terminated; ++t) {
            const size_t before = cells(o, 10, 5).size() + cells(o, 10, 6).size();
            r = env.step(t % 2 ? kFire : (rng.below(2) ? kLeft : kRight));
            if (r.reward > 0 && !r.terminated) {
                CHECK(cells(r.obs, 10, 5).size() + cells(r.obs, 10, 6).size() < before + 1);
                ++hits;
            }
            o = r.obs;
        }
    }
    CHECK(hits > 0);
}

TEST_CASE("Asterix: spawns on steps 11, 21, ...; moves on 6, 11, 16; ramping on step 102") {
    // Find an episode in which standing still survives past step 102.
    for (uint64_t seed = 0; seed < 200; ++seed) {
        MinAtarEnv env = make("Asterix");
        Obs o = env.reset(seed);
        CHECK(one(o, 4, 0) == Cell{5, 5});
        bool died = false;
        int entities_at_10 = -1, entities_at_11 = -1;
        for (int step = 1; step <= 103; ++step) {
            const StepResult r = env.step(kNoop);
            if (r.terminated) {
                died = true;
                break;
            }
            const int n = int(cells(r.obs, 4, 1).size() + cells(r.obs, 4, 3).size());
            if (step == 10) entities_at_10 = n;
            if (step == 11) {
                entities_at_11 = n;
                // A new entity appears at its edge and moves in the same step: column 1 or 8.
                for (int c : {1, 3})
                    for (const Cell& e : cells(r.obs, 4, c)) CHECK((e.x == 1 || e.x == 8));
            }
            if (step == 101) CHECK(env.game().ramp_index() == 0);
            if (step == 102) CHECK(env.game().ramp_index() == 1);
        }
        if (died) continue;
        CHECK(entities_at_10 == 0);
        CHECK(entities_at_11 == 1);
        return;
    }
    FAIL("no seed survived 103 no-op steps");
}

TEST_CASE("Asterix: gold scores +1 and vanishes; an enemy ends the episode") {
    Rng rng(2);
    int gold = 0, deaths = 0;
    for (uint64_t seed = 0; seed < 30; ++seed) {
        MinAtarEnv env = make("Asterix");
        Obs o = env.reset(seed);
        for (bool done = false; !done;) {
            const size_t g = cells(o, 4, 3).size();
            const StepResult r = env.step(int(rng.below(6)));
            if (r.reward > 0) {
                CHECK(r.reward == 1);
                CHECK(cells(r.obs, 4, 3).size() <= g);  // collected (a new one may have spawned meanwhile)
                ++gold;
            }
            if (r.terminated) {
                ++deaths;
                // The enemy that touched the player is in its row, on its cell or one past it (entities still
                // move in the step the touch happened: a terminal flag does not stop the rest of a step).
                const Cell p = one(r.obs, 4, 0);
                bool enemy_here = false;
                for (const Cell& e : cells(r.obs, 4, 1)) enemy_here |= e.y == p.y && std::abs(e.x - p.x) <= 1;
                CHECK(enemy_here);
            }
            done = r.terminated || r.truncated;
            o = r.obs;
        }
    }
    CHECK(gold > 0);
    CHECK(deaths == 30);
}

TEST_CASE("Sticky actions repeat the previous executed action with probability p (one draw per step)") {
    for (double p : {0.0, 0.1, 0.5}) {
        MinAtarEnv env = make("Breakout", p);
        env.reset(9);
        int repeats = 0, n = 0;
        for (int t = 0; t < 100000; ++t) {
            // Always ask for the other action than the one executed last: a repeat is exactly a sticky step.
            const int prev = env.last_action();
            const int want = prev == kLeft ? kRight : kLeft;
            const StepResult r = env.step(want);
            repeats += env.last_action() == prev;
            ++n;
            if (r.terminated) env.reset();
        }
        const double freq = double(repeats) / n;
        MESSAGE("sticky p=" << p << ": measured " << freq);
        CHECK(std::fabs(freq - p) < 4 * std::sqrt(p * (1 - p) / n) + 1e-12);
    }
}

TEST_CASE("MinAtar: same seed and actions -> the same episode; clones continue identically") {
    for (const std::string& game : game_names()) {
        CAPTURE(game);
        MinAtarEnv a = make(game, 0.1), b = make(game, 0.1);
        Obs oa = a.reset(17), ob = b.reset(17);
        CHECK(oa == ob);
        Rng rng(5);
        for (int t = 0; t < 300; ++t) {
            const int act = int(rng.below(6));
            const StepResult ra = a.step(act), rb = b.step(act);
            REQUIRE(ra.obs == rb.obs);
            REQUIRE(ra.reward == rb.reward);
            REQUIRE(ra.terminated == rb.terminated);
            if (ra.terminated) a.reset(), b.reset();
        }
        auto c = a.clone();
        for (int t = 0; t < 50; ++t) {
            const StepResult ra = a.step(t % 6), rc = c->step(t % 6);
            REQUIRE(ra.obs == rc.obs);
            if (ra.terminated) a.reset(), c->reset();
        }
    }
}

TEST_CASE("MinAtar renders one colour per channel, the player on top, with grid lines") {
    MinAtarEnv env = make("Breakout");
    Image img;
    env.reset(breakout_seed_with_ball_at(0));
    env.render(img);
    CHECK(img.width() == 320);
    CHECK(img.height() == 320);
    const auto colours = MinAtarEnv::palette(env.channel_names());
    const Rgb paddle = img.at(4 * 32 + 16, 9 * 32 + 16), brick = img.at(5 * 32 + 16, 2 * 32 + 16), empty = img.at(5 * 32 + 16, 6 * 32 + 16);
    CHECK((paddle.r == colours[0].r && paddle.g == colours[0].g && paddle.b == colours[0].b));
    CHECK((brick.r == colours[3].r && brick.g == colours[3].g));
    CHECK((empty.r == 18 && empty.g == 20 && empty.b == 26));
    const Rgb line = img.at(32, 100);
    CHECK((line.r == 45 && line.g == 48));
}

TEST_CASE("Episode replays: the env keeps its last episodes frame by frame when asked, and only then") {
    MinAtarEnv env = make("Breakout", 0.1);
    Obs first = env.reset(2);
    CHECK(env.replay_log()->done.empty());
    CHECK(env.replay_log()->current.data.empty());  // not asked: nothing recorded
    env.keep_episodes(2);
    first = env.reset(2);
    Rng rng(3);
    std::vector<double> returns;
    double ret = 0;
    int length = 0;
    std::vector<int> lengths;
    while (returns.size() < 3) {
        const StepResult r = env.step(int(rng.below(6)));
        ret += r.reward, ++length;
        if (r.terminated) {
            returns.push_back(ret), lengths.push_back(length);
            ret = 0, length = 0;
            env.reset();
        }
    }
    const ReplayLog& log = *env.replay_log();
    REQUIRE(log.done.size() == 2);  // the oldest of the three was dropped
    for (int k = 0; k < 2; ++k) {
        const EpisodeRecord& e = *log.done[size_t(k)];
        CHECK(e.ret == returns[size_t(k + 1)]);
        CHECK(e.frames() == lengths[size_t(k + 1)] + 1);  // the first frame, then one per step (the terminal one too)
        CHECK(int(e.actions.size()) == lengths[size_t(k + 1)]);
    }
    // Frames decode to the observations: the third episode's first frame is the observation after its reset.
    MinAtarEnv replay = make("Breakout", 0.1);
    replay.keep_episodes(1);
    Obs o = replay.reset(5);
    std::vector<float> decoded(o.size());
    replay.unpack_frame(replay.replay_log()->current.frame(0), decoded.data());
    CHECK(decoded == o);
    // Copies (every snapshot) share the finished episodes instead of copying their frames.
    auto copy = env.clone();
    CHECK(copy->replay_log()->done[0].get() == log.done[0].get());
}
