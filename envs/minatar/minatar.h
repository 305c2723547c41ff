// MinAtar — miniature Atari games on a 10 × 10 grid (Young & Tian, 2019), rebuilt from the clean-room spec in
// ../shared/minatar-rules.md (the reference code is GPL; nothing here is ported from it).
//
//   MinAtar/Breakout-v1, MinAtar/Asterix-v1, MinAtar/Freeway-v1, MinAtar/Seaquest-v1, MinAtar/SpaceInvaders-v1
//
// Observation: a 10 × 10 × C picture of 0/1 channels, one per object kind, laid out [y][x][c] (row 0 at the top),
// as floats. Actions: MinAtar's six (no-op, left, up, right, down, fire) by default, as in the MinAtar paper and
// its random baseline; `actions=minimal` gives each game's minimal set instead (what Gymnasium's MinAtar v1
// adapter exposes). Sticky actions: each step, with probability `sticky_action_prob`, the previous executed action
// is repeated instead (one uniform draw every step, and the last action survives resets, as in MinAtar).
// Random numbers: the wrapper and the game share one generator, MT19937 with NumPy's legacy conversions, so a
// seed gives the reference's own random stream. MinAtar has no time limit; `max_episode_steps` (default 100 000)
// truncates, so a greedy policy that hides forever (Seaquest's surface) cannot hang an evaluation.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/params.h"
#include "envs/env.h"

namespace dl {

namespace minatar {

constexpr int kSize = 10;
enum Action { kNoop = 0, kLeft = 1, kUp = 2, kRight = 3, kDown = 4, kFire = 5 };
constexpr int kNumActions = 6;

// NumPy's legacy RandomState on top of std::mt19937 (whose word stream the C++ standard fixes):
//   U    = a 53-bit double from two words, (a >> 5) · 2^26 + (b >> 6), over 2^53
//   R(n) = masked rejection sampling: the smallest all-ones mask ≥ n − 1, one word per try; R(1) takes no word.
class NumpyRng {
public:
    explicit NumpyRng(uint32_t seed = 0) : mt_(seed) {}
    // The Mersenne Twister's whole state, in the text form the C++ standard defines for it.
    void io_state(StateIO& io);
    void seed(uint32_t s) { mt_.seed(s); }
    double uniform() {
        const uint32_t a = uint32_t(mt_()) >> 5, b = uint32_t(mt_()) >> 6;
        return (double(a) * 67108864.0 + double(b)) / 9007199254740992.0;
    }
    int below(int n) {
        if (n <= 1) return 0;
        const uint32_t m = uint32_t(n - 1);
        uint32_t mask = m;
        for (int s = 1; s < 32; s <<= 1) mask |= mask >> s;
        for (;;) {
            const uint32_t v = uint32_t(mt_()) & mask;
            if (v <= m) return int(v);
        }
    }

private:
    std::mt19937 mt_;
};

// A scripted Breakout player for world-model data and tests: moves the paddle (channel 0, bottom row) towards the
// ball's column (channel 1), which keeps episodes long. Returns left, right or no-op of the full action set.
int breakout_tracker(const float* obs);

// One game's rules. The wrapper (MinAtarEnv) owns sticky actions, seeding and the observation buffer.
class Game {
public:
    virtual ~Game() = default;
    virtual std::string name() const = 0;                            // "Breakout"
    virtual std::vector<std::string> channel_names() const = 0;      // MinAtar's, in order
    virtual std::vector<int> minimal_actions() const = 0;            // ascending full indices
    virtual void reset(NumpyRng& rng) = 0;
    virtual int step(int action, NumpyRng& rng) = 0;                 // returns the reward; terminal() after
    virtual bool terminal() const = 0;
    // Lights the cells of the current state in obs[(y·10 + x)·C + c] (obs arrives zeroed).
    virtual void observe(float* obs) const = 0;
    virtual int ramp_index() const { return -1; }                    // -1: the game does not ramp
    virtual std::unique_ptr<Game> clone() const = 0;
    virtual void io_state(StateIO& io) = 0;  // the game's state (checkpoints)
    int channels() const { return int(channel_names().size()); }
};

std::unique_ptr<Game> make_game(const std::string& name, bool ramping);  // Breakout, Asterix, Freeway, Seaquest, SpaceInvaders
const std::vector<std::string>& game_names();

// Writes a 1 into channel c of cell (x, y) when the cell is on the grid.
inline void light(float* obs, int channels, int x, int y, int c) {
    if (x >= 0 && x < kSize && y >= 0 && y < kSize) obs[(y * kSize + x) * channels + c] = 1.0f;
}

}  // namespace minatar

struct MinAtarArgs : Args<MinAtarArgs> {
    double sticky_action_prob = 0.1;   // probability of repeating the previous action
    bool difficulty_ramping = true;    // games speed up over time (Asterix, Seaquest, Space Invaders)
    std::string actions = "all";       // all six actions, or the game's minimal set
    int64_t max_episode_steps = 100000;  // truncation (MinAtar itself has none)
    bool grid = true;                  // draw grid lines in the rendering

    void visit(ParamVisitor& v) override {
        v.real("sticky_action_prob", sticky_action_prob, 0, 1,
               "probability that the previous action is repeated instead of the chosen one (MinAtar: 0.1)", Apply::Restart);
        v.flag("difficulty_ramping", difficulty_ramping, "speed the game up over time, as MinAtar does", Apply::Restart);
        v.choice("actions", actions, {"all", "minimal"},
                 "all: MinAtar's 6 actions (the paper, the random baseline); minimal: the game's own subset", Apply::Restart);
        v.integer("max_episode_steps", max_episode_steps, 1, 100000000, "time limit (truncation); MinAtar has none",
                  Apply::Restart);
        v.flag("grid", grid, "draw grid lines between cells", Apply::Restart);
    }
};

class MinAtarEnv final : public Env, public PixelWorld {
public:
    MinAtarEnv(const std::string& game, const MinAtarArgs& args = {});
    MinAtarEnv(const MinAtarEnv& o);
    MinAtarEnv& operator=(const MinAtarEnv&) = delete;

    std::string id() const override { return "MinAtar/" + game_->name() + "-v1"; }
    int render_fps() const override { return 10; }  // MinAtar defines none; 10 game steps a second is what a person plays at
    Space observation_space() const override;
    Space action_space() const override { return Space::discrete(int(action_map_.size())); }
    void reset_into(std::optional<uint64_t> seed, float* obs) override;
    StepFlags step_into(int action, float* obs) override;
    void render(Image& img) const override;
    std::unique_ptr<Env> clone() const override { return std::make_unique<MinAtarEnv>(*this); }
    void io_state(StateIO& io) override;
    std::vector<std::string> action_names() const override;
    int max_episode_steps() const override { return max_steps_; }
    void keep_episodes(int n) override { log_.keep = n; }
    const ReplayLog* replay_log() const override { return &log_; }
    void render_frame(const uint8_t* frame, Image& img) const override;
    // A frame as bits: the observation's 100·C cells-by-channel, packed eight to a byte, appended to out.
    int frame_bytes() const { return (minatar::kSize * minatar::kSize * channels_ + 7) / 8; }
    void pack_frame(std::vector<uint8_t>& out) const;
    void unpack_frame(const uint8_t* frame, float* obs) const;

    int channels() const override { return channels_; }
    std::vector<std::string> channel_names() const override { return game_->channel_names(); }
    std::vector<Rgb> palette() const override { return palette(channel_names()); }
    void draw_obs(const float* obs, bool grid, Image& img) const override { render_obs(obs, channels_, palette(), grid, img); }
    const PixelWorld* pixel_world() const override { return this; }
    ObsLook obs_look() const override;
    const minatar::Game& game() const { return *game_; }
    int last_action() const { return last_action_; }      // the executed (full-index) action of the last step
    int elapsed() const { return elapsed_; }
    // The full-index action an agent's action maps to (identity with actions=all).
    int full_action(int a) const override { return action_map_[size_t(a)]; }
    void observe(float* obs) const override;

    // The colour of each channel in render() (the GUI's legend uses it too).
    static std::vector<Rgb> palette(const std::vector<std::string>& channel_names);
    // Draws a 10 × 10 × C observation (or any such picture: a decoder's output, a dream) like render() does;
    // cells of channel values in (0, 1) are blended by value.
    static void render_obs(const float* obs, int channels, const std::vector<Rgb>& colours, bool grid, Image& img);

private:
    std::unique_ptr<minatar::Game> game_;
    minatar::NumpyRng rng_;
    std::vector<int> action_map_;
    double sticky_;
    int max_steps_;
    bool grid_;
    int channels_;
    int last_action_ = minatar::kNoop;
    int elapsed_ = 0;
    ReplayLog log_;
};

}  // namespace dl
