#include "envs/env.h"

namespace dl {

int Env::obs_dim() const {
    const Space s = observation_space();
    if (s.kind == Space::Discrete) return s.n;
    int n = 1;
    for (int d : s.shape) n *= d;
    return n;
}

void encode_obs(const Space& space, const Obs& obs, float* out) {
    if (space.kind == Space::Discrete) {
        std::fill_n(out, space.n, 0.0f);
        out[int(obs[0])] = 1.0f;
    } else {
        std::copy(obs.begin(), obs.end(), out);
    }
}

void Env::reset_into(std::optional<uint64_t> seed, float* obs) { encode_obs(observation_space(), reset(seed), obs); }

StepFlags Env::step_into(int action, float* obs) {
    const StepResult r = step(action);
    encode_obs(observation_space(), r.obs, obs);
    return {r.reward, r.terminated, r.truncated};
}

}  // namespace dl
