#include "core/rl/mlp_agent.h"

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"

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
// A network's conv layers as agent.json declares them, each field checked (and the chain of shapes: every layer
// reads what the one before it outputs) before anything is allocated.
std::vector<ConvShape> conv_shapes(const JsonFields& f, const char* key, std::vector<int>& filters) {
    std::vector<ConvShape> shapes;
    filters.clear();
    if (!f.has(key)) return shapes;
    const nlohmann::json& arr = f.at(key);
    if (!arr.is_array() || arr.size() > 4) f.fail(key, "must be an array of at most 4 conv layers");
    for (size_t i = 0; i < arr.size(); ++i) {
        const JsonFields c = f.item(key, i);
        c.only({"H", "W", "C", "k", "stride", "pad", "filters"});
        ConvShape s;
        s.H = int(c.integer("H", 1, 1024)), s.W = int(c.integer("W", 1, 1024)), s.C = int(c.integer("C", 1, 1024));
        s.k = int(c.integer("k", 1, 16)), s.stride = int(c.integer("stride", 1, 16)), s.pad = int(c.integer("pad", 0, s.k - 1));
        if (s.H + 2 * s.pad < s.k || s.W + 2 * s.pad < s.k)
            c.fail("k", "= " + std::to_string(s.k) + " is larger than the padded " + std::to_string(s.H + 2 * s.pad) + "x" +
                            std::to_string(s.W + 2 * s.pad) + " input");
        if (!shapes.empty()) {
            const ConvShape& p = shapes.back();
            if (s.H != p.out_h() || s.W != p.out_w() || s.C != filters.back())
                c.fail("H", "x W x C = " + std::to_string(s.H) + "x" + std::to_string(s.W) + "x" + std::to_string(s.C) +
                                " does not match the previous layer's output " + std::to_string(p.out_h()) + "x" +
                                std::to_string(p.out_w()) + "x" + std::to_string(filters.back()));
        }
        shapes.push_back(s);
        filters.push_back(int(c.integer("filters", 1, 1024)));
    }
    return shapes;
}
int64_t conv_param_count(const std::vector<ConvShape>& shapes, const std::vector<int>& filters) {
    int64_t n = 0;
    for (size_t i = 0; i < shapes.size(); ++i) n += int64_t(shapes[i].k) * shapes[i].k * shapes[i].C * filters[i] + filters[i];
    return n;
}
// Rebuilds a network's layers (weights come from the checkpoint): conv layers, then Linear layers of `sizes`.
Mlp build(const std::vector<ConvShape>& shapes, const std::vector<int>& filters, const std::vector<int>& sizes, Activation act, Rng& rng) {
    Mlp m(sizes, act, 1.0f, rng);
    for (size_t i = 0; i < shapes.size(); ++i) m.convs.emplace_back(shapes[i], filters[i], 1.0f, rng);
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

void MlpAgent::save(const std::string& dir, const EnvSignature& env) const {
    const nlohmann::json j = {{"format", "dreamlab-agent-1"},
                              {"kind", kind()},
                              {"env", to_json(env)},
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
    const std::string file = dir + "/agent.json";
    const Checkpoint ckpt = read_checkpoint(dir + "/agent.ckpt");  // checked; its size bounds what we may build
    auto a = std::make_shared<MlpAgent>();
    try {
        const nlohmann::json j = read_json_file(file, size_t(1) << 20);
        const JsonFields f(j, file);
        f.only({"format", "kind", "env", "activation", "actor", "critic", "actor_conv", "critic_conv", "dueling", "n_actions"});
        a->head = f.choice("kind", {"policy", "q"}) == "q" ? QNet : Policy;
        a->q_values = a->head == QNet;
        const Activation act = f.choice("activation", {"tanh", "relu"}) == "relu" ? Activation::Relu : Activation::Tanh;
        constexpr int kMaxWidth = 1 << 20;
        const std::vector<int> as = f.ints("actor", 2, 16, 1, kMaxWidth);
        const std::vector<int> cs = f.has("critic") && !f.at("critic").empty() ? f.ints("critic", 2, 16, 1, kMaxWidth) : std::vector<int>{};
        std::vector<int> actor_filters, critic_filters;
        const std::vector<ConvShape> actor_convs = conv_shapes(f, "actor_conv", actor_filters);
        const std::vector<ConvShape> critic_convs = conv_shapes(f, "critic_conv", critic_filters);
        a->n_actions = int(f.integer("n_actions", 1, 1024));
        a->dueling = f.flag("dueling", false);
        if (a->dueling && a->head != QNet) f.fail("dueling", "= true is only for Q-networks (kind \"q\")");
        // The shapes must fit together: conv output into the first Linear layer, heads into their outputs.
        auto check_input = [&](const char* key, const std::vector<ConvShape>& convs, const std::vector<int>& filters, const std::vector<int>& sizes) {
            if (convs.empty()) return;
            const int out = convs.back().out_h() * convs.back().out_w() * filters.back();
            if (sizes[0] != out)
                throw ParamError(f.name(key) + "[0] = " + std::to_string(sizes[0]) + " does not match its conv layers' output of " +
                                 std::to_string(out));
        };
        check_input("actor", actor_convs, actor_filters, as);
        if (!cs.empty()) check_input("critic", critic_convs, critic_filters, cs);
        if (!critic_convs.empty() && cs.empty()) f.fail("critic_conv", "is given for a network without layers (critic is empty)");
        if (!a->dueling && as.back() != a->n_actions)
            f.fail("actor", "ends in " + std::to_string(as.back()) + " outputs; n_actions is " + std::to_string(a->n_actions));
        if (!cs.empty() && cs.back() != 1) f.fail("critic", "ends in " + std::to_string(cs.back()) + " outputs; a value network has 1");
        const int actor_in = actor_convs.empty() ? as[0] : actor_convs[0].in_dim();
        const int critic_in = cs.empty() ? actor_in : critic_convs.empty() ? cs[0] : critic_convs[0].in_dim();
        if (critic_in != actor_in)
            f.fail("critic", "reads observations of " + std::to_string(critic_in) + " numbers, the actor of " + std::to_string(actor_in));
        const int64_t h = as.back();
        const int64_t declared = conv_param_count(actor_convs, actor_filters) + mlp_param_count(as) +
                                 (cs.empty() ? 0 : conv_param_count(critic_convs, critic_filters) + mlp_param_count(cs)) +
                                 (a->dueling ? (h + 1) + (h * a->n_actions + a->n_actions) : 0);
        if (declared != ckpt.floats)
            throw CheckpointError(file + ": the networks it declares hold " + std::to_string(declared) + " parameters; " + ckpt.path +
                                  " holds " + std::to_string(ckpt.floats));
        // Only now, with every size checked against the checkpoint, is anything built.
        Rng rng(0);
        a->actor = build(actor_convs, actor_filters, as, act, rng);
        if (!cs.empty()) a->critic = build(critic_convs, critic_filters, cs, act, rng);
        if (a->dueling) {
            a->value_head = Linear(int(h), 1, 1.0f, rng);
            a->adv_head = Linear(int(h), a->n_actions, 1.0f, rng);
        }
        a->obs_dim = a->actor.in_dim();
    } catch (const ParamError& e) {
        throw CheckpointError(e.what());
    }
    load_checkpoint(ckpt, named(*a));
    return a;
}

}  // namespace dl::nn
