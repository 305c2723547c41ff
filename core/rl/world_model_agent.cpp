#include "core/rl/world_model_agent.h"

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"

namespace dl::nn {

void choose_codec(WorldModelConfig& c, const Space& obs, const std::string& network, const std::string& decoder) {
    const bool image = obs.kind == Space::Box && obs.shape.size() == 3;
    if (network != "auto" && network != "mlp" && network != "cnn")
        throw ParamError("network=" + network + " is not allowed: expected one of auto, mlp, cnn");
    if (decoder != "auto" && decoder != "gaussian" && decoder != "bernoulli")
        throw ParamError("decoder=" + decoder + " is not allowed: expected one of auto, gaussian, bernoulli");
    if (network == "cnn" && !image)
        throw ParamError("network=cnn needs image observations (height x width x channels); this env's are flat");
    c.image.clear();
    if (network == "cnn" || (network == "auto" && image)) c.image = obs.shape;
    const bool binary = image || obs.kind == Space::Discrete;
    c.binary_obs = decoder == "bernoulli" || (decoder == "auto" && binary);
    c.relu = !c.image.empty();
}

std::vector<double> WorldModelAgent::dream_episodes(const Mat& first_obs, int max_steps, float temperature, Rng& rng) const {
    const int N = int(first_obs.rows());
    WorldModel::State s;
    model.observe_first(s, first_obs, rng, temperature);
    std::vector<double> ret(static_cast<size_t>(N), 0.0);
    std::vector<char> alive(static_cast<size_t>(N), 1);
    std::vector<int32_t> acts(static_cast<size_t>(N));
    Mat logits, r, c;
    for (int k = 0; k < max_steps; ++k) {
        actor.forward(model.features(s), logits);
        for (int i = 0; i < N; ++i) acts[size_t(i)] = sample_categorical(logits.row(i).data(), n_actions, rng);
        model.step_prior(s, acts, rng, temperature);
        model.predict(s, r, c);
        int left = 0;
        for (int i = 0; i < N; ++i) {
            if (!alive[size_t(i)]) continue;
            ret[size_t(i)] += r(i, 0);
            alive[size_t(i)] = rng.uniform() < c(i, 0);
            left += alive[size_t(i)];
        }
        if (left == 0) break;
    }
    return ret;
}

std::shared_ptr<WorldModelAgent> WorldModelAgent::create(const WorldModelConfig& c, Rng& rng) {
    auto a = std::make_shared<WorldModelAgent>();
    a->n_actions = c.n_actions, a->obs_dim = c.obs_dim;
    a->model = WorldModel(c, rng);
    const int F = c.deter + c.stoch, H = c.hidden;
    a->actor = Mlp({F, H, H, c.n_actions}, Activation::Tanh, 0.01f, rng);
    a->critic = Mlp({F, H, H, 1}, Activation::Tanh, 1.0f, rng);
    return a;
}

int WorldModelAgent::sample_action(const WorldModel::State& belief, Rng& rng) const {
    Mat logits;
    actor.forward(model.features(belief), logits);
    return sample_categorical(logits.data(), n_actions, rng);
}

namespace {
std::vector<int> mlp_sizes(const Mlp& m) {
    std::vector<int> v = {m.in_dim()};
    for (const Linear& l : m.layers) v.push_back(int(l.W.value.cols()));
    return v;
}
std::vector<std::pair<std::string, Param*>> agent_named(WorldModelAgent& a) {
    auto v = named_params(a.model);
    int i = 0;
    for (Param* p : a.actor.params()) v.push_back({"actor." + std::to_string(i++), p});
    i = 0;
    for (Param* p : a.critic.params()) v.push_back({"critic." + std::to_string(i++), p});
    return v;
}
}  // namespace

void WorldModelAgent::save(const std::string& dir, const EnvSignature& env) const {
    const WorldModelConfig& c = model.config();
    const nlohmann::json j = {{"format", "dreamlab-agent-1"},
                              {"kind", "world_model"},
                              {"env", to_json(env)},
                              {"model", {{"obs_dim", c.obs_dim}, {"n_actions", c.n_actions}, {"hidden", c.hidden}, {"deter", c.deter},
                                         {"stoch", c.stoch}, {"embed", c.embed}, {"binary_obs", c.binary_obs},
                                         {"obs_std", c.obs_std}, {"kl_beta", c.kl_beta}, {"kl_balance", c.kl_balance}, {"free_nats", c.free_nats},
                                         {"image", c.image}, {"conv_filters", c.conv_filters}, {"relu", c.relu}}},
                              {"actor", mlp_sizes(actor)},
                              {"critic", mlp_sizes(critic)},
                              {"n_actions", n_actions}};
    write_file_atomic(dir + "/agent.json", j.dump(2) + "\n");
    auto& self = const_cast<WorldModelAgent&>(*this);  // agent_named() hands out pointers; saving only reads
    std::vector<std::pair<std::string, const Param*>> ps;
    for (auto& [n, p] : agent_named(self)) ps.push_back({n, p});
    save_checkpoint(dir + "/agent.ckpt", ps);
}

AgentFn::EpisodePolicy WorldModelAgent::greedy_player(std::shared_ptr<const AgentFn> self) const {
    auto agent = std::static_pointer_cast<const WorldModelAgent>(self);
    auto belief = std::make_shared<WorldModel::State>();
    auto last = std::make_shared<int32_t>(-1);
    return [agent, belief, last](const float* obs, int obs_dim, bool first) {
        Rng unused(0);
        const Eigen::Map<const Mat> o(obs, 1, obs_dim);
        if (first || belief->h.rows() == 0) agent->model.observe_first(*belief, o, unused, 0.0f);
        else agent->model.step_posterior(*belief, {*last}, o, unused, 0.0f);
        Mat logits;
        agent->actor.forward(agent->model.features(*belief), logits);
        Eigen::Index a;
        logits.row(0).maxCoeff(&a);
        *last = int32_t(a);
        return int(a);
    };
}

void WorldModelAgent::evaluate(const Mat& obs, Mat& value, Mat& action_values) const {
    Rng unused(0);
    WorldModel::State s;
    model.observe_first(s, obs, unused, 0.0f);
    const Mat f = model.features(s);
    Mat logits;
    actor.forward(f, logits);
    action_values = (logits.colwise() - logits.rowwise().maxCoeff()).array().exp().matrix();
    action_values.array().colwise() /= action_values.rowwise().sum().array();
    critic.forward(f, value);
}

std::shared_ptr<WorldModelAgent> WorldModelAgent::load(const std::string& dir) {
    const std::string file = dir + "/agent.json";
    const Checkpoint ckpt = read_checkpoint(dir + "/agent.ckpt");  // checked; its size bounds what we may build
    auto a = std::make_shared<WorldModelAgent>();
    try {
        const nlohmann::json j = read_json_file(file, size_t(1) << 20);
        const JsonFields f(j, file);
        f.only({"format", "kind", "env", "model", "actor", "critic", "n_actions"});
        const JsonFields m = f.object("model");
        m.only({"obs_dim", "n_actions", "hidden", "deter", "stoch", "embed", "binary_obs", "obs_std", "kl_beta", "kl_balance",
                "free_nats", "image", "conv_filters", "relu"});
        WorldModelConfig c;
        c.obs_dim = int(m.integer("obs_dim", 1, 1 << 16)), c.n_actions = int(m.integer("n_actions", 1, 1024));
        c.hidden = int(m.integer("hidden", 1, 4096)), c.deter = int(m.integer("deter", 1, 4096));
        c.stoch = int(m.integer("stoch", 1, 1024)), c.embed = int(m.integer("embed", 1, 4096));
        c.binary_obs = m.flag("binary_obs"), c.obs_std = float(m.number("obs_std", 1e-6, 100.0));
        c.kl_beta = float(m.number("kl_beta", 0.0, 100.0)), c.free_nats = float(m.number("free_nats", 0.0, 100.0));
        c.kl_balance = float(m.number("kl_balance", 0.0, 1.0, 0.8));
        c.image = m.has("image") && !m.at("image").empty() ? m.ints("image", 3, 3, 1, 256) : std::vector<int>{};
        if (!c.image.empty() && (c.image[0] < 3 || c.image[1] < 3))
            m.fail("image", "needs a height and width of at least 3 (the encoder's 3x3 conv)");
        if (!c.image.empty() && c.image[0] * c.image[1] * c.image[2] != c.obs_dim)
            m.fail("image", "= " + std::to_string(c.image[0]) + "x" + std::to_string(c.image[1]) + "x" + std::to_string(c.image[2]) +
                                " does not hold obs_dim = " + std::to_string(c.obs_dim) + " cells");
        c.conv_filters = int(m.integer("conv_filters", 1, 1024, 16));
        c.relu = m.flag("relu", false);
        a->n_actions = int(f.integer("n_actions", 1, 1024));
        if (a->n_actions != c.n_actions)
            f.fail("n_actions", "= " + std::to_string(a->n_actions) + " differs from the model's " + std::to_string(c.n_actions));
        const int F = c.deter + c.stoch;  // the features [h, z] the actor and the critic read
        const std::vector<int> actor = f.ints("actor", 2, 16, 1, 1 << 20), critic = f.ints("critic", 2, 16, 1, 1 << 20);
        if (actor[0] != F || actor.back() != c.n_actions)
            f.fail("actor", "must read deter + stoch = " + std::to_string(F) + " features and output n_actions = " +
                                std::to_string(c.n_actions) + " (it is " + std::to_string(actor[0]) + " → " + std::to_string(actor.back()) + ")");
        if (critic[0] != F || critic.back() != 1)
            f.fail("critic", "must read deter + stoch = " + std::to_string(F) + " features and output 1 (it is " + std::to_string(critic[0]) +
                                 " → " + std::to_string(critic.back()) + ")");
        const int64_t declared = WorldModel::param_count(c) + mlp_param_count(actor) + mlp_param_count(critic);
        if (declared != ckpt.floats)
            throw CheckpointError(file + ": the networks it declares hold " + std::to_string(declared) + " parameters; " + ckpt.path +
                                  " holds " + std::to_string(ckpt.floats));
        // Only now, with every size checked against the checkpoint, is anything built.
        Rng rng(0);
        a->model = WorldModel(c, rng);
        a->actor = Mlp(actor, Activation::Tanh, 1.0f, rng);
        a->critic = Mlp(critic, Activation::Tanh, 1.0f, rng);
        a->obs_dim = c.obs_dim;
    } catch (const ParamError& e) {
        throw CheckpointError(e.what());
    }
    load_checkpoint(ckpt, agent_named(*a));
    return a;
}

}  // namespace dl::nn
