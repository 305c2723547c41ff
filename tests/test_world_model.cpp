// The world model (RSSM) on CartPole: its GRU's gradients, the ELBO falling on fixed data, one-step and open-loop
// prediction against reality, and a checkpoint round trip.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/algos/registry.h"
#include "core/rl/evaluate.h"
#include "core/rl/dream_experience.h"
#include "envs/cartpole.h"
#include "envs/minatar/minatar.h"
#include "envs/registry.h"
#include "seeds.h"
#include "core/session/session.h"

using namespace dl;
using namespace dl::nn;
using dl::test::list;
using dl::test::median;
using dl::test::over_seeds;

namespace {

// Random-policy CartPole experience in a sequence buffer.
SequenceBuffer cartpole_experience(int64_t steps, uint64_t seed) {
    CartPole env;
    return record_experience(env, steps, [](const float*, Rng& rng) { return int(rng.below(2)); }, seed);
}

WorldModelConfig small_config() {
    WorldModelConfig c;
    c.obs_dim = 4, c.n_actions = 2;
    c.hidden = 64, c.deter = 64, c.stoch = 8, c.embed = 32;
    c.free_nats = 0.1f;
    return c;
}

}  // namespace

namespace {

// Breakout played by the scripted tracker with some random moves (ε), in a sequence buffer.
SequenceBuffer breakout_experience(int64_t steps, double eps, uint64_t seed) {
    auto env = make_env("MinAtar/Breakout-v1", *make_env_args("MinAtar/Breakout-v1", {}));
    return record_experience(*env, steps, [eps](const float* obs, Rng& rng) {
        return rng.uniform() < eps ? int(rng.below(6)) : minatar::breakout_tracker(obs);
    }, seed);
}

}  // namespace

TEST_CASE("GRU cell: tape equals tape-free forward; parameter and input gradients match finite differences") {
    Rng rng(1);
    Gru g(3, 4, rng);
    Mat x(2, 3), h(2, 4), R(2, 4);
    for (int i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
    for (int i = 0; i < h.size(); ++i) h.data()[i] = 0.5f * normal(rng);
    for (int i = 0; i < R.size(); ++i) R.data()[i] = normal(rng);
    Mat ref;
    g.forward(x, h, ref);
    auto loss = [&](bool backward) {
        Tape t;
        Var out = g(t, t.constant(x), t.constant(h));
        if (backward) CHECK((out.value() - ref).cwiseAbs().maxCoeff() < 1e-6);
        Var L = sum(mul(out, t.constant(R)));
        if (backward) t.backward(L);
        return double(L.value()(0, 0));
    };
    for (Param* p : g.params()) p->zero_grad();
    loss(true);
    int checked = 0;
    for (Param* p : g.params())
        for (int i = 0; i < p->value.size(); ++i) {
            const float x0 = p->value.data()[i];
            p->value.data()[i] = x0 + 1e-2f;
            const double up = loss(false);
            p->value.data()[i] = x0 - 1e-2f;
            const double down = loss(false);
            p->value.data()[i] = x0;
            const double fd = (up - down) / 2e-2;
            CHECK(std::fabs(p->grad.data()[i] - fd) <= 2e-3 + 2e-2 * std::fabs(fd));
            ++checked;
        }
    CHECK(checked == 3 * (3 * 4 + 4) + 3 * 16);
}

TEST_CASE("World model on CartPole: the ELBO falls, one step ahead it predicts, the dream follows reality") {
    const SequenceBuffer train = cartpole_experience(20000, 1), held_out = cartpole_experience(2000, 2);
    Rng rng(3);
    WorldModel wm(small_config(), rng);
    Adam opt;
    opt.lr = 1e-3f;
    Rng eval_rng(4);
    const SeqBatch fixed = held_out.sample(32, 16, eval_rng);
    Rng r1(5);
    const WorldModelLosses before = wm.evaluate(fixed, r1);
    for (int i = 0; i < 3000; ++i) wm.train_step(train.sample(16, 16, rng), opt, rng);
    Rng r2(5);
    const WorldModelLosses after = wm.evaluate(fixed, r2);
    MESSAGE("held-out ELBO terms before -> after: recon " << before.recon << " -> " << after.recon << ", reward "
                                                      << before.reward << " -> " << after.reward << ", cont " << before.cont
                                                      << " -> " << after.cont << ", kl " << before.kl << " -> " << after.kl);
    CHECK(after.total < 0.5 * before.total);
    CHECK(after.recon < 0.2 * before.recon);

    // One step ahead and open loop, from real starts with the real actions, against what really happened. The
    // yardstick: the observations' own variance (what predicting their mean would score).
    const SeqBatch seq = held_out.sample(64, 12, eval_rng);
    double var = 0;
    for (int t = 0; t < seq.L; ++t) {
        const Mat c = seq.obs[size_t(t)].rowwise() - seq.obs[size_t(t)].colwise().mean();
        var += c.squaredNorm() / double(c.size()) / seq.L;
    }
    std::vector<double> err(size_t(seq.L), 0.0);
    int counted = 0;
    for (int b = 0; b < seq.B; ++b) {
        // Use sequences without an episode start inside, so the real future is the dream's to predict.
        bool clean = true;
        for (int t = 1; t < seq.L; ++t) clean &= seq.first[size_t(t)](b, 0) == 0;
        if (!clean) continue;
        ++counted;
        WorldModel::State s;
        wm.observe_first(s, seq.obs[0].row(b), rng);
        for (int t = 1; t < seq.L; ++t) {
            wm.step_prior(s, {seq.prev_action[size_t(t)][size_t(b)]}, rng, 0.0f);  // the prior's mean: its best guess
            Mat pred;
            wm.decode(s, pred);
            err[size_t(t)] += (pred - seq.obs[size_t(t)].row(b)).squaredNorm() / 4;
        }
    }
    REQUIRE(counted > 10);
    for (double& e : err) e /= counted;
    MESSAGE("open-loop MSE / obs variance at horizons 1, 3, 5, 10: " << err[1] / var << " " << err[3] / var << " "
                                                                    << err[5] / var << " " << err[10] / var);
    CHECK(err[1] < 0.05 * var);  // one step ahead: explains 95% of the variance
    CHECK(err[3] < 0.10 * var);  // the first steps of a dream stay close to reality
}

TEST_CASE("World model checkpoint round trip: a loaded model decodes the same") {
    Rng rng(6);
    WorldModel a(small_config(), rng), b(small_config(), rng);
    const std::string path = "test_world_model.ckpt";
    a.save(path);
    b.load(path);
    Rng r1(7), r2(7);
    Mat obs(1, 4);
    obs << 0.01f, -0.02f, 0.03f, 0.04f;
    WorldModel::State sa, sb;
    a.observe_first(sa, obs, r1);
    b.observe_first(sb, obs, r2);
    a.step_prior(sa, {1}, r1), b.step_prior(sb, {1}, r2);
    Mat da, db;
    a.decode(sa, da), b.decode(sb, db);
    CHECK(da == db);
    std::filesystem::remove(path);
}

TEST_CASE("WorldModel::param_count (what loaders compare with a checkpoint before building) counts what the constructor builds") {
    auto built = [](const WorldModelConfig& c) {
        Rng rng(1);
        WorldModel m(c, rng);
        int64_t n = 0;
        for (Param* p : m.params()) n += p->value.size();
        return n;
    };
    WorldModelConfig c = small_config();
    CHECK(WorldModel::param_count(c) == built(c));
    c.hidden = 7, c.deter = 5, c.stoch = 3, c.embed = 2;
    CHECK(WorldModel::param_count(c) == built(c));
    WorldModelConfig pix = small_config();  // a conv encoder over a 10x10x4 frame
    pix.image = {10, 10, 4}, pix.obs_dim = 400, pix.conv_filters = 8, pix.binary_obs = true;
    CHECK(WorldModel::param_count(pix) == built(pix));
}

TEST_CASE("Trained only in the dream, dream_ac and Dreamer balance the real CartPole far better than random") {
    CartPole env;
    const EvalResult random = evaluate_policy(env, [](const Obs&, Rng& rng) { return int(rng.below(2)); }, 200, 11);
    for (const char* algo : {"dream_ac", "dreamer"}) {
        CAPTURE(algo);
        std::vector<double> returns;
        for (uint64_t seed : {1, 2, 3}) {
            RunConfig cfg;
            cfg.env_id = "CartPole-v1";
            cfg.algo_id = algo;
            cfg.seed = seed;
            cfg.algo_args = {{"total_timesteps", "3000"}};  // dream_ac at its defaults (32 units: cheap)
            if (std::string(algo) == "dreamer") cfg.algo_args["batch_size"] = "8";
            auto ctx = run_headless(cfg);
            const Snapshot snap = ctx->snapshot_now();
            REQUIRE(snap.agent);
            returns.push_back(evaluate_policy(
                                  env, [&](const Obs& o, Rng&) { return snap.agent->greedy(o.data(), 4); }, 20, 11)
                                  .mean_return);
            // Everything the lecture plots was logged.
            for (const char* k : {"losses/reconstruction", "losses/kl", "losses/reward_model", "losses/continuation_model",
                                  "losses/actor", "losses/critic", "charts/dream_return"})
                CHECK(ctx->metrics().find(k) >= 0);
        }
        std::sort(returns.begin(), returns.end());
        MESSAGE(std::string(algo) << " on the real CartPole after 3000 real steps, greedy mean returns (seeds 1-3): " << returns[0] << " "
                     << returns[1] << " " << returns[2] << " (random " << random.mean_return << ")");
        CHECK(returns[1] > 4 * random.mean_return);
    }
}

TEST_CASE("A dream learner's agent (world model + actor + critic) is saved with its run and loads back the same") {
    RunConfig cfg;
    cfg.env_id = "CartPole-v1";
    cfg.algo_id = "dream_ac";
    cfg.algo_args = {{"total_timesteps", "1200"}, {"prefill", "1000"}};
    auto ctx = run_headless(cfg);
    auto agent = std::dynamic_pointer_cast<const WorldModelAgent>(ctx->snapshot_now().agent);
    REQUIRE(agent);
    const std::string dir = "test_dream_agent";
    std::filesystem::create_directories(dir);
    auto cartpole = make_env("CartPole-v1", *make_env_args("CartPole-v1", {}));
    agent->save(dir, env_signature("CartPole-v1", *cartpole));
    auto back = load_agent(dir, "CartPole-v1", *cartpole);
    CHECK(back->kind() == "world_model");
    CHECK(back->obs_dim == 4);
    REQUIRE(std::dynamic_pointer_cast<const WorldModelAgent>(back));
    Mat obs(3, 4), v1, p1, v2, p2;
    obs << 0.01f, 0.2f, -0.03f, 0.1f, -0.5f, 0.0f, 0.1f, -1.0f, 1.0f, 0.5f, 0.0f, 0.3f;
    agent->evaluate(obs, v1, p1);
    back->evaluate(obs, v2, p2);
    CHECK(v1 == v2);
    CHECK(p1 == p2);
    std::filesystem::remove_all(dir);

    // A pixel model (conv encoder, Bernoulli decoder, ReLU) keeps its shape through agent.json.
    cfg.env_id = "MinAtar/Breakout-v1";
    cfg.algo_args = {{"total_timesteps", "300"}, {"prefill", "250"}, {"hidden", "32"}, {"deter", "32"}, {"stoch", "4"}};
    auto pctx = run_headless(cfg);
    auto pix = std::dynamic_pointer_cast<const WorldModelAgent>(pctx->snapshot_now().agent);
    REQUIRE(pix);
    CHECK(pix->model.config().image == std::vector<int>{10, 10, 4});
    std::filesystem::create_directories(dir);
    auto breakout = make_env(cfg.env_id, *make_env_args(cfg.env_id, {}));
    pix->save(dir, env_signature(cfg.env_id, *breakout));
    auto pback = std::dynamic_pointer_cast<const WorldModelAgent>(load_agent(dir, cfg.env_id, *breakout));
    REQUIRE(pback);
    CHECK(pback->obs_dim == 400);
    CHECK((pback->model.config().image == pix->model.config().image && pback->model.config().relu && pback->model.config().binary_obs));
    Rng pick(5);
    const SeqBatch frames = breakout_experience(64, 0.3, 5).sample(3, 1, pick);
    pix->evaluate(frames.obs[0], v1, p1);
    pback->evaluate(frames.obs[0], v2, p2);
    CHECK(v1 == v2);
    CHECK(p1 == p2);
    std::filesystem::remove_all(dir);
}


TEST_CASE("pixel world model (conv encoder, Bernoulli decoder) on Breakout: open-loop frames beat both baselines (seeds 1-3)") {
    // 300 model steps on 8000 steps of tracker play (~4 s); judged on 64 held-out windows inside episodes: 5 frames
    // observed, then dreamed with the real actions. A model that only learned the bricks (which rarely change)
    // reaches the dark and copy baselines; the motion (cells that changed since the last observed frame: ball,
    // trail, paddle) is what the copy baseline gets entirely wrong. Each seed draws its own data and model.
    WorldModelConfig c;
    c.obs_dim = 400, c.n_actions = 6, c.hidden = 128, c.deter = 128, c.stoch = 16, c.embed = 128;
    choose_codec(c, make_env("MinAtar/Breakout-v1", *make_env_args("MinAtar/Breakout-v1", {}))->observation_space(), "auto", "auto");
    REQUIRE(c.binary_obs);
    REQUIRE(c.image == std::vector<int>{10, 10, 4});
    std::vector<double> over_dark(3), changed(3), over_copy5(3);
    const auto over_copy = over_seeds({1, 2, 3}, [&](uint64_t seed) {
        const SequenceBuffer train = breakout_experience(8000, 0.3, seed), held = breakout_experience(4000, 0.3, seed + 100);
        Rng rng(seed + 2);
        WorldModel wm(c, rng);
        Adam opt;
        opt.lr = 1e-3f;
        for (int i = 0; i < 300; ++i) wm.train_step(train.sample(16, 16, rng), opt, rng);
        const auto s = wm.pixel_scores(held.sample_within_episodes(64, 20, rng), 5, {1, 5, 15}, rng);
        const size_t k = seed - 1;
        over_dark[k] = s.accuracy[0] - s.dark_accuracy[0], changed[k] = s.changed_accuracy[0];
        over_copy5[k] = s.accuracy[1] - s.copy_accuracy[1];
        return s.accuracy[0] - s.copy_accuracy[0];
    });
    for (auto* v : {&over_dark, &changed, &over_copy5}) std::sort(v->begin(), v->end());
    MESSAGE("seeds 1-3, horizon 1: accuracy above the copy baseline " << list(over_copy) << ", above all-dark "
            << list(over_dark) << ", changed cells right " << list(changed) << "; horizon 5 above copy " << list(over_copy5));
    CHECK(median(over_copy) > 0.005);
    CHECK(median(over_dark) > 0.05);
    CHECK(median(changed) > 0.5);
    CHECK(median(over_copy5) > 0);

    CHECK_THROWS_AS(choose_codec(c, Space::discrete(16), "cnn", "auto"), ParamError);
    CHECK_THROWS_WITH_AS(choose_codec(c, Space::discrete(16), "auto", "poisson"),
                         doctest::Contains("decoder=poisson is not allowed"), ParamError);
    choose_codec(c, Space::discrete(16), "auto", "auto");
    CHECK((c.binary_obs && c.image.empty() && !c.relu));
}

TEST_CASE("world model of the slippery Frozen Lake: its transition table approaches the true one (seeds 1-3)") {
    // Random play on the 4x4 lake (one-hot observations, Bernoulli decoder); the learned P(s' | s, a) against
    // Gymnasium's table (three outcomes of 1/3 each): total-variation distance averaged over the non-terminal
    // states as often as the data visits them (a state random play hardly reaches is hardly learned: the GUI shows
    // every row).
    std::vector<double> before(3);
    const auto after = over_seeds({1, 2, 3}, [&](uint64_t seed) {
        auto env = make_env("FrozenLake-v1", *make_env_args("FrozenLake-v1", {}));
        const auto& lake = dynamic_cast<const DiscreteEnv&>(*env);  // (the lake's model: a test of the lake itself)
        const SequenceBuffer data =
            record_experience(*env, 6000, [](const float*, Rng& rng) { return int(rng.below(4)); }, seed);
        WorldModelConfig c;
        c.obs_dim = 16, c.n_actions = 4, c.hidden = 64, c.deter = 64, c.stoch = 8, c.embed = 64;
        choose_codec(c, env->observation_space(), "auto", "auto");
        Rng rng(seed + 3);
        std::vector<double> visits(16, 0.0);
        const SeqBatch all = data.sample(4000, 1, rng);
        for (int i = 0; i < 4000; ++i) {
            Eigen::Index s;
            all.obs[0].row(i).maxCoeff(&s);
            visits[size_t(s)] += 1;
        }
        WorldModel wm(c, rng);
        auto tv_distance = [&] {
            const Mat learned = wm.transition_table(200, rng);
            double tv = 0, weight = 0;
            for (int s = 0; s < 16; ++s) {
                if (lake.is_terminal(s)) continue;
                for (int a = 0; a < 4; ++a) {
                    std::vector<double> truth(16, 0.0);
                    for (const Transition& t : lake.model()[size_t(s)][size_t(a)]) truth[size_t(t.next)] += t.prob;
                    double d = 0;
                    for (int n = 0; n < 16; ++n) d += std::fabs(learned(s * 4 + a, n) - truth[size_t(n)]);
                    tv += visits[size_t(s)] * 0.5 * d, weight += visits[size_t(s)];
                }
            }
            return tv / weight;
        };
        before[seed - 1] = c.binary_obs ? tv_distance() : 0;
        Adam opt;
        opt.lr = 3e-3f;
        for (int i = 0; i < 1500; ++i) wm.train_step(data.sample(16, 16, rng), opt, rng);
        return tv_distance();
    });
    std::sort(before.begin(), before.end());
    MESSAGE("total-variation distance, learned vs true P(s'|s,a), weighted by visits, seeds 1-3: " << list(before) << " -> "
                                                                                                  << list(after));
    CHECK(before[0] > 0.5);  // every untrained model is far off (and the decoder was Bernoulli)
    CHECK(median(after) < 0.2);
}

TEST_CASE("a world-model agent plays whole episodes by filtering every frame (greedy_player)") {
    Rng rng(9);
    WorldModelConfig c = small_config();
    std::shared_ptr<const AgentFn> agent = WorldModelAgent::create(c, rng);
    const auto& wm = static_cast<const WorldModelAgent&>(*agent);
    auto argmax_actor = [&](const WorldModel::State& s) {
        Mat l;
        wm.actor.forward(wm.model.features(s), l);
        Eigen::Index a;
        l.row(0).maxCoeff(&a);
        return int(a);
    };
    // A second frame on which the filtered belief and a fresh read of that frame alone disagree.
    int disagreements = 0;
    for (int trial = 0; trial < 200; ++trial) {
        float o1[4], o2[4];
        for (int i = 0; i < 4; ++i) o1[i] = 0.3f * normal(rng), o2[i] = 0.3f * normal(rng);
        const AgentFn::EpisodePolicy play = agent->greedy_player(agent);
        const int first = play(o1, 4, true);
        CHECK(first == agent->greedy(o1, 4));  // an episode's first frame: as the stateless read
        WorldModel::State s;
        Rng unused(0);
        wm.model.observe_first(s, Eigen::Map<const Mat>(o1, 1, 4), unused, 0.0f);
        wm.model.step_posterior(s, {int32_t(first)}, Eigen::Map<const Mat>(o2, 1, 4), unused, 0.0f);
        const int filtered = argmax_actor(s);
        if (filtered == agent->greedy(o2, 4)) continue;
        ++disagreements;
        CHECK(play(o2, 4, false) == filtered);  // the belief carries on with the action taken
        CHECK(play(o2, 4, true) == agent->greedy(o2, 4));  // and starts afresh when told
    }
    MESSAGE(disagreements << " of 200 frame pairs where memory changes the action");
    CHECK(disagreements > 0);
}
