#include "core/rl/rollout.h"

#include <cstdio>

#include <algorithm>
#include <cmath>

namespace dl::nn {

Rollout::Rollout(int T_, VectorEnv& envs)
    : T(T_), N(envs.num_envs()), D(envs.obs_dim()), A(envs.act_dim()), obs(T_ * N, D), actions(T_ * N, std::max(1, A)),
      logprobs(size_t(T_) * N), values(size_t(T_) * N), rewards(size_t(T_) * N), dones(size_t(T_) * N), next_obs(N, D),
      next_done(size_t(N), 0.0f), env_act_(size_t(N) * std::max(1, A)), disc_act_(size_t(N)), disc_return_(size_t(N), 0.0) {
    if (A > 0) {
        const Space s = envs.env(0).action_space();
        low_ = s.low, high_ = s.high;
    }
}

void Rollout::start(VectorEnv& envs, uint64_t seed) {
    envs.reset(seed);
    next_obs = Eigen::Map<const Mat>(envs.obs(), N, D);
    std::fill(next_done.begin(), next_done.end(), 0.0f);
}

bool Rollout::collect(VectorEnv& envs, const MlpAgent& agent, RunContext& ctx, Rng& rng, float gamma, bool bootstrap_truncated) {
    Mat out, value, fv;
    const int K = envs.num_actions();
    for (int t = 0; t < T; ++t) {
        agent.actor.forward(next_obs, out);
        agent.critic.forward(next_obs, value);
        for (int i = 0; i < N; ++i) {
            const size_t k = size_t(t) * N + i;
            obs.row(Eigen::Index(k)) = next_obs.row(i);
            dones[k] = next_done[size_t(i)];
            values[k] = value(i, 0);
            if (A == 0) {
                const int a = sample_categorical(&out(i, 0), K, rng);
                const float mx = out.row(i).maxCoeff();
                const float lse = mx + std::log((out.row(i).array() - mx).exp().sum());
                logprobs[k] = out(i, a) - lse;
                actions(Eigen::Index(k), 0) = float(a);
                disc_act_[size_t(i)] = a;
            } else {
                // a = μ + σ ε; log N(a; μ, σ) = Σ_d −ε_d²/2 − log σ_d − ½ log 2π
                float lp = 0;
                for (int d = 0; d < A; ++d) {
                    const float ls = agent.log_std.value(0, d), eps = normal(rng), a = out(i, d) + std::exp(ls) * eps;
                    lp += -0.5f * eps * eps - ls - 0.91893853f;
                    actions(Eigen::Index(k), d) = a;
                    env_act_[size_t(i) * A + d] = std::clamp(a, low_[size_t(d)], high_[size_t(d)]);
                }
                logprobs[k] = lp;
            }
        }
        if (A == 0) envs.step(disc_act_.data());
        else envs.step_box(env_act_.data());
        double scale = 1;
        if (norm_reward) {  // update the running moments with this step's N discounted returns (Chan et al.'s merge)
            double m = 0, v = 0;
            for (int i = 0; i < N; ++i) disc_return_[size_t(i)] = disc_return_[size_t(i)] * gamma + envs.reward(i), m += disc_return_[size_t(i)];
            m /= N;
            for (int i = 0; i < N; ++i) v += (disc_return_[size_t(i)] - m) * (disc_return_[size_t(i)] - m);
            v /= N;
            const double delta = m - ret_mean_, total = ret_count_ + N;
            ret_var_ = (ret_var_ * ret_count_ + v * N + delta * delta * ret_count_ * N / total) / total;
            ret_mean_ += delta * N / total, ret_count_ = total;
            scale = 1 / std::sqrt(ret_var_ + 1e-8);
            for (int i = 0; i < N; ++i)
                if (envs.done(i)) disc_return_[size_t(i)] = 0;
        }
        for (int i = 0; i < N; ++i) {
            const size_t k = size_t(t) * N + i;
            rewards[k] = float(envs.reward(i) * scale);
            if (bootstrap_truncated && envs.truncated(i) && !envs.terminated(i)) {
                // A time limit is not a failure: the value of where the agent stood still counts.
                agent.critic.forward(Eigen::Map<const Mat>(envs.final_obs() + size_t(i) * D, 1, D), fv);
                rewards[k] += gamma * fv(0, 0);
            }
            next_done[size_t(i)] = envs.done(i) ? 1.0f : 0.0f;
        }
        next_obs = Eigen::Map<const Mat>(envs.obs(), N, D);
        if (!ctx.tick(Tick::EnvStep, N)) return false;
        for (int i = 0; i < N; ++i)
            if (envs.done(i)) {
                ctx.log("return", envs.episode_return(i));
                ctx.log("length", double(envs.episode_length(i)));
                if (envs.env(i).defines_success()) ctx.log("success", envs.episode_success(i) ? 1.0 : 0.0);
                if (!ctx.tick(Tick::Episode)) return false;
            }
    }
    agent.critic.forward(next_obs, next_value);
    return true;
}

PolicyTerms policy_terms(Tape& tape, MlpAgent& agent, Var out, const Mat& actions) {
    if (agent.act_dim > 0) {
        DiagGaussian pi(out, tape.param(agent.log_std));
        return {pi.log_prob(tape.constant(actions)), pi.entropy()};
    }
    std::vector<int32_t> a(static_cast<size_t>(actions.rows()));
    for (Eigen::Index r = 0; r < actions.rows(); ++r) a[size_t(r)] = int32_t(actions(r, 0));
    Categorical pi(out);
    return {pi.log_prob(a), pi.entropy()};
}

InsideLayer gae_path(const Rollout& ro, const std::vector<float>& deltas, const std::vector<float>& advantages,
                     float gamma, float lambda, int num_states, const std::vector<float>* ratios, const std::vector<float>* adv_used,
                     float clip) {
    InsideLayer l;
    l.kind = InsideLayer::Kind::Path;
    l.id = "gae", l.title = "GAE path";
    l.help = ratios ? "the last rollout's path (env 0): δ_t and the advantage A_t = Σ (γλ)^k δ_(t+k) at each step; × marks a sample the clip gave no gradient"
                    : "the last rollout's path (env 0): δ_t and the advantage A_t = Σ (γλ)^k δ_(t+k) at each step";
    const int T = ro.T, N = ro.N, D = ro.D;
    const bool small = D <= 16;
    if (small) l.dim = D;
    int clipped = 0;
    for (int t = 0; t < T; ++t) {
        const int k = t * N;
        InsideLayer::Step st;
        const float* obs = ro.obs.row(k).data();
        st.s = num_states > 0 ? state_of_one_hot(obs, D, num_states) : -1;
        st.a = ro.A == 0 ? int(ro.actions(k, 0)) : 0;
        st.reward = ro.rewards[size_t(k)], st.value = ro.values[size_t(k)];
        st.delta = deltas[size_t(k)], st.adv = advantages[size_t(k)];
        st.start = ro.dones[size_t(k)] > 0.5f;
        if (ratios && adv_used) {
            st.ratio = (*ratios)[size_t(k)];
            const float a = (*adv_used)[size_t(k)];
            st.clipped = (a > 0 && st.ratio > 1 + clip) || (a < 0 && st.ratio < 1 - clip);
            clipped += st.clipped;
        }
        l.path.push_back(st);
        if (small) l.points.insert(l.points.end(), obs, obs + D);
    }
    char note[128];
    if (ratios) std::snprintf(note, sizeof note, "γλ = %.3g · %d steps · %d clipped", double(gamma * lambda), T, clipped);
    else std::snprintf(note, sizeof note, "γλ = %.3g · %d steps", double(gamma * lambda), T);
    l.note = note;
    l.figures = {{"clipped", double(clipped)}, {"gamma_lambda", double(gamma * lambda)}};
    return l;
}

}  // namespace dl::nn
