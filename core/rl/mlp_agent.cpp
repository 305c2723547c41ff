#include "core/rl/mlp_agent.h"

#include <nlohmann/json.hpp>

#include "base/files.h"

namespace dl::nn {

std::shared_ptr<MlpAgent> MlpAgent::actor_critic(int obs_dim, int n_actions, int hidden, Rng& rng) {
    auto a = std::make_shared<MlpAgent>();
    a->obs_dim = obs_dim, a->n_actions = n_actions;
    a->actor = Mlp({obs_dim, hidden, hidden, n_actions}, Activation::Tanh, 0.01f, rng);
    a->critic = Mlp({obs_dim, hidden, hidden, 1}, Activation::Tanh, 1.0f, rng);
    return a;
}

bool is_image(const Space& obs) { return obs.kind == Space::Box && obs.shape.size() == 3; }

Mlp make_network(const Space& obs, const std::string& network, int filters, const std::vector<int>& sizes,
                 Activation act, float out_gain, Rng& rng) {
    const bool cnn = network == "cnn" || (network == "auto" && is_image(obs));
    if (network != "cnn" && network != "mlp" && network != "auto")
        throw ParamError("network=" + network + " is not allowed: expected one of auto, mlp, cnn");
    if (cnn) {
        if (!is_image(obs)) throw ParamError("network=cnn needs image observations (height x width x channels); this env's are flat");
        const ConvShape image{obs.shape[0], obs.shape[1], obs.shape[2], 3, 1, 0};
        return Mlp::conv_net(image, filters, sizes, act, out_gain, rng);
    }
    int d = 1;
    if (obs.kind == Space::Discrete) d = obs.n;
    else for (int k : obs.shape) d *= k;
    std::vector<int> all = {d};
    all.insert(all.end(), sizes.begin(), sizes.end());
    return Mlp(all, act, out_gain, rng);
}

std::shared_ptr<MlpAgent> MlpAgent::actor_critic(const Space& obs, int n_actions, int hidden, Rng& rng,
                                                 const std::string& network, int filters) {
    auto a = std::make_shared<MlpAgent>();
    a->n_actions = n_actions;
    const bool cnn = network == "cnn" || (network == "auto" && is_image(obs));
    // Two hidden layers for the MLP; after a conv layer one, as in the MinAtar network.
    const std::vector<int> hid = cnn ? std::vector<int>{hidden} : std::vector<int>{hidden, hidden};
    auto with_out = [&](int out) {
        std::vector<int> v = hid;
        v.push_back(out);
        return v;
    };
    a->actor = make_network(obs, network, filters, with_out(n_actions), cnn ? Activation::Relu : Activation::Tanh, 0.01f, rng);
    a->critic = make_network(obs, network, filters, with_out(1), cnn ? Activation::Relu : Activation::Tanh, 1.0f, rng);
    a->obs_dim = a->actor.in_dim();
    return a;
}

std::shared_ptr<MlpAgent> MlpAgent::gaussian_actor_critic(const Space& obs, int act_dim, int hidden, Rng& rng,
                                                          const std::string& network, int filters) {
    auto a = actor_critic(obs, act_dim, hidden, rng, network, filters);
    a->n_actions = 0, a->act_dim = act_dim;
    a->log_std.value = Mat::Zero(1, act_dim), a->log_std.grad = Mat::Zero(1, act_dim);
    return a;
}

std::vector<Param*> MlpAgent::all_params() {
    std::vector<Param*> p = actor.params();
    for (Param* c : critic.params()) p.push_back(c);
    if (act_dim > 0) p.push_back(&log_std);
    return p;
}

Var MlpAgent::q(Tape& t, Var x) {
    Var h = actor(t, x);
    if (!dueling) return h;
    h = actor.act == Activation::Tanh ? tanh(h) : relu(h);
    Var a = adv_head(t, h);
    return add(value_head(t, h), sub(a, scale(sum_rows(a), 1.0f / float(a.cols()))));
}

std::vector<Param*> MlpAgent::q_params() {
    std::vector<Param*> p = actor.params();
    if (dueling) p.insert(p.end(), {&value_head.W, &value_head.b, &adv_head.W, &adv_head.b});
    return p;
}

void MlpAgent::evaluate(const Mat& obs, Mat& value, Mat& action_values) const {
    Mat out;
    actor.forward(obs, out);
    if (head == QNet && dueling) {
        out = actor.act == Activation::Tanh ? Mat(out.array().tanh()) : Mat(out.array().max(0.0f));
        Mat v, a;
        value_head.forward(out, v);
        adv_head.forward(out, a);
        action_values = (a.colwise() - a.rowwise().mean()).colwise() + v.col(0);
    } else if (head == QNet) action_values = out;
    else {
        // π = softmax(logits), row by row
        action_values = (out.colwise() - out.rowwise().maxCoeff()).array().exp().matrix();
        action_values.array().colwise() /= action_values.rowwise().sum().array();
    }
    if (!critic.layers.empty()) critic.forward(obs, value);
    else value.resize(0, 0);
}

bool MlpAgent::saliency(const float* obs, int dim, std::vector<float>& out) const {
    if (dim != obs_dim) return false;
    Tape t;
    Var x = t.constant(Eigen::Map<const Mat>(obs, 1, dim), /*needs_grad=*/true);
    Var y;
    if (head == QNet) {
        Var h = actor.frozen(t, x);
        if (dueling) {
            h = actor.act == Activation::Tanh ? tanh(h) : relu(h);
            Var a = add(matmul(h, t.constant(adv_head.W.value)), t.constant(adv_head.b.value));
            Var v = add(matmul(h, t.constant(value_head.W.value)), t.constant(value_head.b.value));
            h = add(v, sub(a, scale(sum_rows(a), 1.0f / float(a.cols()))));
        }
        Eigen::Index best;
        h.value().row(0).maxCoeff(&best);
        y = gather(h, {int32_t(best)});
    } else if (!critic.layers.empty()) {
        y = critic.frozen(t, x);
    } else {
        return false;
    }
    t.backward(sum(y));
    const Mat& g = x.grad();
    out.resize(size_t(dim));
    for (int i = 0; i < dim; ++i) out[size_t(i)] = std::fabs(g(0, i));
    return true;
}

namespace {
std::vector<int> sizes_of(const Mlp& m) {
    std::vector<int> s;
    if (m.layers.empty()) return s;
    s.push_back(int(m.layers[0].W.value.rows()));
    for (const auto& l : m.layers) s.push_back(int(l.W.value.cols()));
    return s;
}
nlohmann::json convs_of(const Mlp& m) {
    nlohmann::json j = nlohmann::json::array();
    for (const Conv2d& c : m.convs)
        j.push_back({{"H", c.shape.H}, {"W", c.shape.W}, {"C", c.shape.C}, {"k", c.shape.k}, {"stride", c.shape.stride},
                     {"pad", c.shape.pad}, {"filters", c.filters()}});
    return j;
}
// Rebuilds a network's layers (weights come from the checkpoint): conv layers, then Linear layers of `sizes`.
Mlp build(const nlohmann::json& convs, const std::vector<int>& sizes, Activation act, Rng& rng) {
    Mlp m(sizes, act, 1.0f, rng);
    for (const auto& c : convs)
        m.convs.emplace_back(ConvShape{c.at("H").get<int>(), c.at("W").get<int>(), c.at("C").get<int>(), c.at("k").get<int>(),
                                       c.at("stride").get<int>(), c.at("pad").get<int>()},
                             c.at("filters").get<int>(), 1.0f, rng);
    return m;
}
std::vector<std::pair<std::string, Param*>> named(MlpAgent& a) {
    std::vector<std::pair<std::string, Param*>> v;
    for (size_t i = 0; i < a.actor.convs.size(); ++i)
        v.push_back({"actor.conv" + std::to_string(i) + ".W", &a.actor.convs[i].W}),
            v.push_back({"actor.conv" + std::to_string(i) + ".b", &a.actor.convs[i].b});
    for (size_t i = 0; i < a.critic.convs.size(); ++i)
        v.push_back({"critic.conv" + std::to_string(i) + ".W", &a.critic.convs[i].W}),
            v.push_back({"critic.conv" + std::to_string(i) + ".b", &a.critic.convs[i].b});
    for (size_t i = 0; i < a.actor.layers.size(); ++i)
        v.push_back({"actor." + std::to_string(i) + ".W", &a.actor.layers[i].W}), v.push_back({"actor." + std::to_string(i) + ".b", &a.actor.layers[i].b});
    for (size_t i = 0; i < a.critic.layers.size(); ++i)
        v.push_back({"critic." + std::to_string(i) + ".W", &a.critic.layers[i].W}), v.push_back({"critic." + std::to_string(i) + ".b", &a.critic.layers[i].b});
    if (a.dueling)
        v.insert(v.end(), {{"value_head.W", &a.value_head.W}, {"value_head.b", &a.value_head.b},
                           {"adv_head.W", &a.adv_head.W}, {"adv_head.b", &a.adv_head.b}});
    return v;
}
}  // namespace

void MlpAgent::save(const std::string& dir) const {
    const nlohmann::json j = {{"format", "dreamlab-agent-1"},
                              {"kind", kind()},
                              {"activation", actor.act == Activation::Tanh ? "tanh" : "relu"},
                              {"actor", sizes_of(actor)},
                              {"critic", sizes_of(critic)},
                              {"actor_conv", convs_of(actor)},
                              {"critic_conv", convs_of(critic)},
                              {"dueling", dueling},
                              {"n_actions", n_actions}};
    write_file_atomic(dir + "/agent.json", j.dump(2) + "\n");
    auto& self = const_cast<MlpAgent&>(*this);  // named() hands out pointers; save only reads through them
    std::vector<std::pair<std::string, const Param*>> c;
    for (auto& [n, p] : named(self)) c.push_back({n, p});
    save_checkpoint(dir + "/agent.ckpt", c);
}

std::shared_ptr<MlpAgent> MlpAgent::load(const std::string& dir) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file(dir + "/agent.json"));
    } catch (const nlohmann::json::exception& e) {
        throw CheckpointError(dir + "/agent.json is malformed: " + e.what());
    }
    auto a = std::make_shared<MlpAgent>();
    try {
        a->head = j.at("kind") == "q" ? QNet : Policy;
        a->q_values = a->head == QNet;
        const Activation act = j.at("activation") == "relu" ? Activation::Relu : Activation::Tanh;
        Rng rng(0);
        const auto as = j.at("actor").get<std::vector<int>>(), cs = j.at("critic").get<std::vector<int>>();
        if (as.size() < 2) throw CheckpointError(dir + "/agent.json: the actor needs at least 2 layer sizes");
        const nlohmann::json none = nlohmann::json::array();
        a->actor = build(j.value("actor_conv", none), as, act, rng);
        if (cs.size() >= 2) a->critic = build(j.value("critic_conv", none), cs, act, rng);
        a->n_actions = j.at("n_actions").get<int>();
        a->dueling = j.value("dueling", false);
        if (a->dueling) {
            const int h = as.back();
            a->value_head = Linear(h, 1, 1.0f, rng);
            a->adv_head = Linear(h, a->n_actions, 1.0f, rng);
        }
        a->obs_dim = a->actor.in_dim();
    } catch (const nlohmann::json::exception& e) {
        throw CheckpointError(dir + "/agent.json is malformed: " + e.what());
    }
    load_checkpoint(dir + "/agent.ckpt", named(*a));
    return a;
}

}  // namespace dl::nn
