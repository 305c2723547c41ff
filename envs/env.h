// Env — an environment with Gymnasium's semantics.
//
//   obs = env.reset(seed)            seeds the env's own RNG when a seed is given (Gymnasium's reset(seed=...))
//   r   = env.step(action)           -> obs, reward, terminated (a terminal state), truncated (time limit)
//
// Tabular environments also implement DiscreteEnv: integer states, and the exact model P[s][a] for planners
// and for the ground-truth views.
#pragma once
#include <algorithm>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/image.h"
#include "base/state_io.h"

namespace dl {

struct Space {
    enum Kind { Discrete, Box } kind = Discrete;
    int n = 0;                           // Discrete: number of values
    std::vector<int> shape;              // Box
    std::vector<float> low, high;        // Box bounds
    static Space discrete(int n) { return {Discrete, n, {}, {}, {}}; }
};

using Obs = std::vector<float>;  // Discrete observations hold one value: the index

struct StepResult {
    Obs obs;
    double reward = 0;
    bool terminated = false;
    bool truncated = false;
};

// What a step returns besides the observation (the allocation-free path writes that into a buffer).
struct StepFlags {
    double reward = 0;
    bool terminated = false;
    bool truncated = false;
};

// One outcome of taking action a in state s.
struct Transition {
    double prob;
    int next;
    double reward;
    bool terminated;
};
// P[s][a] = every outcome, in the env's own order (the order Gymnasium lists them).
using TabularModel = std::vector<std::vector<std::vector<Transition>>>;

// How a tabular state maps onto a picture of the world: layer (e.g. coin taken or not), row, column.
struct GridLayout {
    int rows = 0, cols = 0, layers = 1;
    std::vector<std::string> layer_names;
    std::vector<std::string> tiles;  // the map, one string per row, where the world has one (Frozen Lake: S F H G)
    int state(int layer, int row, int col) const { return layer * rows * cols + row * cols + col; }
};

// The last episodes of an env, frame by frame, for replays in the GUI. An env records only when asked
// (keep_episodes(n > 0): the GUI asks for the env it shows), so headless runs pay nothing. Finished episodes are
// shared, so copying an env (every snapshot does) copies pointers, not frames.
struct EpisodeRecord {
    int frame_bytes = 0;        // each frame in the env's own compact encoding (see Env::render_frame)
    std::vector<uint8_t> data;  // the frames, back to back
    std::vector<int> actions;   // actions[t] led from frame t to frame t + 1
    std::vector<float> rewards;
    double ret = 0;
    int frames() const { return frame_bytes ? int(data.size() / size_t(frame_bytes)) : 0; }
    const uint8_t* frame(int t) const { return data.data() + size_t(t) * size_t(frame_bytes); }
};
struct ReplayLog {
    int keep = 0;
    std::vector<std::shared_ptr<const EpisodeRecord>> done;  // oldest first, at most `keep`
    EpisodeRecord current;
    void finish() {
        if (current.data.empty()) return;
        done.push_back(std::make_shared<const EpisodeRecord>(std::move(current)));
        if (int(done.size()) > keep) done.erase(done.begin());
        current = {};
    }
};

class DiscreteEnv;

// A continuous state the views draw maps over: value and policy heatmaps on two of its dimensions (the others fixed
// by sliders), the current state marked, this episode's path drawn over them.
struct StatePlane {
    std::vector<std::string> dims;          // the state's dimensions ("θ", "ω")
    std::vector<float> lo, hi;              // the range each is shown over
    int x = 0, y = 1;                       // the dimensions on the maps' axes
    bool wrap_x = false;                    // x is an angle: a path jumping across the seam is not drawn as a line
    std::vector<float> state;               // the current state
    std::vector<std::vector<float>> path;   // this episode's states so far (only where record_path(true) was asked)
    std::string action_name;                // what the action is ("torque")
    std::string status, legend;             // a line about the current state, one about the axes
    int obs_dim = 0;
    std::function<void(const float* state, float* obs)> observe;  // the agent's observation at a state
    std::function<void(const float* obs, float* state)> unobserve;  // and back (overlays place observations on the maps)
};

// How an observation vector is drawn (the dream views draw decoded observations with it): a cart and pole from its
// state, a picture of channels (each its colour), a one-hot state on a grid (with the map's tiles), or bars.
struct ObsLook {
    enum Kind { Bars, CartPole, Pixels, Grid } kind = Bars;
    int rows = 0, cols = 0, channels = 1;
    std::vector<Rgb> colours;          // Pixels: per channel
    std::vector<std::string> tiles;    // Grid: the map's rows
};

// Worlds seen as pictures of channels (MinAtar): what the pixel views and human play need.
struct PixelWorld {
    virtual ~PixelWorld() = default;
    virtual int channels() const = 0;
    virtual std::vector<std::string> channel_names() const = 0;
    virtual std::vector<Rgb> palette() const = 0;        // a colour per channel
    virtual int full_action(int a) const = 0;            // action a's index in the game's full action set (keys)
    virtual void observe(float* obs) const = 0;          // the current frame, H × W × C
    virtual void draw_obs(const float* obs, bool grid, Image& img) const = 0;  // a frame (or a dream of one)
};

class Env {
public:
    virtual ~Env() = default;
    virtual std::string id() const = 0;
    virtual Space observation_space() const = 0;
    virtual Space action_space() const = 0;
    // Draws the current state (and the current episode's trail) into img, resizing it.
    virtual void render(Image& img) const = 0;
    virtual std::unique_ptr<Env> clone() const = 0;
    // Saves or loads what changes as it runs (its state, its random stream, its step count) for checkpoints
    // (base/state_io.h); its configuration is the run's and is not saved. What only the views keep (recorded
    // episodes, the drawn path) is not either.
    virtual void io_state(StateIO& io) = 0;
    // Does this env define success (reaching a goal)? If so, last_success() tells after an episode ends.
    virtual bool defines_success() const { return false; }
    virtual bool last_success() const { return false; }
    virtual std::vector<std::string> action_names() const { return {}; }
    // The time limit (steps until truncation); 0 if there is none.
    virtual int max_episode_steps() const { return 0; }
    // Frames per second at which its episodes play back at true speed (Gymnasium's metadata["render_fps"]).
    virtual int render_fps() const { return 30; }
    // Episode replays: envs that support them record the last n episodes once asked (n = 0 stops), expose them,
    // and draw one recorded frame as render() would.
    virtual void keep_episodes(int n) { (void)n; }
    virtual const ReplayLog* replay_log() const { return nullptr; }
    virtual void render_frame(const uint8_t* frame, Image& img) const {
        (void)frame;
        render(img);
    }

    // ---- what the views can ask an env for (nullptr / false where it has none) ----
    virtual const DiscreteEnv* tabular() const { return nullptr; }      // integer states and the exact model
    virtual DiscreteEnv* tabular() { return nullptr; }
    virtual const PixelWorld* pixel_world() const { return nullptr; }
    virtual bool state_plane(StatePlane& out) const { (void)out; return false; }
    virtual ObsLook obs_look() const;  // default: Pixels for H × W × C boxes, Grid for a tabular layout, else Bars
    // The views follow this env: record the current episode's path for StatePlane::path (headless runs never ask).
    virtual void record_path(bool on) { (void)on; }

    // ---- stepping: one virtual per action kind, each writing the encoded observation into obs[obs_dim()] ----
    // Size of the encoded observation: n for Discrete (one-hot), the element count for Box.
    int obs_dim() const;
    int act_dim() const;  // action_space().shape[0] for Box actions, 0 for Discrete
    virtual void reset_into(std::optional<uint64_t> seed, float* obs) = 0;
    // Discrete actions: an index in [0, n). An env with Box actions refuses it, naming what it takes.
    virtual StepFlags step_into(int action, float* obs);
    // Box actions: act_dim() numbers; values outside the bounds are clipped by the env, as Gymnasium's are. An env
    // with discrete actions refuses it, naming what it takes.
    virtual StepFlags step_box_into(const float* action, float* obs);

    // ---- Gymnasium's allocating reset/step (tests, the CLI, the GUI), over the three above ----
    // Observations as Gymnasium gives them: a Box one as its numbers, a Discrete one as its index.
    Obs reset(std::optional<uint64_t> seed = std::nullopt);
    StepResult step(int action);
    StepResult step_box(const float* action);

private:
    Obs decoded(const std::vector<float>& encoded) const;
};

// Encodes an observation as floats: one-hot for Discrete, as is for Box.
void encode_obs(const Space& space, const Obs& obs, float* out);

struct DiscreteStep {
    int obs;
    double reward;
    bool terminated;
    bool truncated;
};

// A tabular environment: states and actions are small integers and the model is known exactly.
class DiscreteEnv : public Env {
public:
    virtual int num_states() const = 0;
    virtual int num_actions() const = 0;
    virtual int reset_state(std::optional<uint64_t> seed = std::nullopt) = 0;
    virtual DiscreteStep step_state(int action) = 0;
    virtual const TabularModel& model() const = 0;
    virtual GridLayout layout() const = 0;
    virtual int state() const = 0;
    // States where every action ends the episode (holes, goal): their value is 0 by definition.
    virtual bool is_terminal(int s) const = 0;
    // The start-state distribution (for exact evaluation of a policy).
    virtual std::vector<double> initial_distribution() const = 0;

    const DiscreteEnv* tabular() const override { return this; }
    DiscreteEnv* tabular() override { return this; }
    Space observation_space() const override { return Space::discrete(num_states()); }
    Space action_space() const override { return Space::discrete(num_actions()); }
    void reset_into(std::optional<uint64_t> seed, float* obs) override {
        const int s = reset_state(seed);
        std::fill_n(obs, num_states(), 0.0f);
        obs[s] = 1.0f;
    }
    StepFlags step_into(int action, float* obs) override {
        const DiscreteStep r = step_state(action);
        std::fill_n(obs, num_states(), 0.0f);
        obs[r.obs] = 1.0f;
        return {r.reward, r.terminated, r.truncated};
    }
};

}  // namespace dl
