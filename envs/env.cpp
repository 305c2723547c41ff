#include "envs/env.h"

#include <stdexcept>
#include <string>

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

int Env::act_dim() const {
    const Space a = action_space();
    return a.kind == Space::Box && !a.shape.empty() ? a.shape[0] : 0;
}

StepResult Env::step_box(const float*) {
    throw std::invalid_argument(id() + " takes discrete actions (an index in [0, " + std::to_string(action_space().n - 1) +
                                "]), not a vector of numbers");
}

StepFlags Env::step_box_into(const float* action, float* obs) {
    const StepResult r = step_box(action);
    encode_obs(observation_space(), r.obs, obs);
    return {r.reward, r.terminated, r.truncated};
}

ObsLook Env::obs_look() const {
    ObsLook l;
    const Space sp = observation_space();
    if (sp.kind == Space::Box && sp.shape.size() == 3) {  // pictures of unnamed channels: white
        l.kind = ObsLook::Pixels, l.rows = sp.shape[0], l.cols = sp.shape[1], l.channels = sp.shape[2];
        l.colours.assign(size_t(l.channels), Rgb{235, 235, 235});
    } else if (const DiscreteEnv* d = tabular()) {
        const GridLayout g = d->layout();
        if (g.rows * g.cols == obs_dim()) l.kind = ObsLook::Grid, l.rows = g.rows, l.cols = g.cols, l.tiles = g.tiles;
    }
    return l;
}

}  // namespace dl
