#include "envs/env.h"

#include "base/params.h"

#include <algorithm>
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

int Env::act_dim() const {
    const Space a = action_space();
    return a.kind == Space::Box && !a.shape.empty() ? a.shape[0] : 0;
}

StepFlags Env::step_into(int action, float*) {
    const Space a = action_space();
    std::string what = "a vector of " + std::to_string(act_dim()) + " numbers";
    if (act_dim() == 1) {
        const auto names = action_names();
        what = (names.empty() ? std::string("one number") : "a " + names[0] + " (one number") + " in [" +
               format_number(a.low.empty() ? 0 : a.low[0]) + ", " + format_number(a.high.empty() ? 0 : a.high[0]) + "]" +
               (names.empty() ? "" : ")");
    }
    throw std::invalid_argument(id() + " takes " + what + ", not the discrete action " + std::to_string(action));
}

StepFlags Env::step_box_into(const float*, float*) {
    throw std::invalid_argument(id() + " takes discrete actions (an index in [0, " + std::to_string(action_space().n - 1) +
                                "]), not a vector of numbers");
}

Obs Env::decoded(const std::vector<float>& encoded) const {
    if (observation_space().kind != Space::Discrete) return encoded;
    return {float(std::max_element(encoded.begin(), encoded.end()) - encoded.begin())};  // the one-hot's index
}

Obs Env::reset(std::optional<uint64_t> seed) {
    std::vector<float> obs(static_cast<size_t>(obs_dim()));
    reset_into(seed, obs.data());
    return decoded(obs);
}

StepResult Env::step(int action) {
    std::vector<float> obs(static_cast<size_t>(obs_dim()));
    const StepFlags f = step_into(action, obs.data());
    return {decoded(obs), f.reward, f.terminated, f.truncated};
}

StepResult Env::step_box(const float* action) {
    std::vector<float> obs(static_cast<size_t>(obs_dim()));
    const StepFlags f = step_box_into(action, obs.data());
    return {decoded(obs), f.reward, f.terminated, f.truncated};
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
