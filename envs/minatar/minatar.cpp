// The MinAtar wrapper: action set, sticky actions, seeding, observation, rendering (spec §2).
#include "envs/minatar/minatar.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace dl {

namespace minatar {
std::unique_ptr<Game> make_breakout();
std::unique_ptr<Game> make_asterix(bool ramping);
std::unique_ptr<Game> make_freeway();
std::unique_ptr<Game> make_seaquest(bool ramping);
std::unique_ptr<Game> make_space_invaders(bool ramping);

const std::vector<std::string>& game_names() {
    static const std::vector<std::string> names = {"Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"};
    return names;
}

std::unique_ptr<Game> make_game(const std::string& name, bool ramping) {
    if (name == "Breakout") return make_breakout();
    if (name == "Asterix") return make_asterix(ramping);
    if (name == "Freeway") return make_freeway();
    if (name == "Seaquest") return make_seaquest(ramping);
    if (name == "SpaceInvaders") return make_space_invaders(ramping);
    throw std::invalid_argument("unknown MinAtar game '" + name + "': Asterix, Breakout, Freeway, Seaquest, SpaceInvaders");
}
}  // namespace minatar

using namespace minatar;

MinAtarEnv::MinAtarEnv(const std::string& game, const MinAtarArgs& args)
    : game_(make_game(game, args.difficulty_ramping)),
      sticky_(args.sticky_action_prob),
      max_steps_(int(std::min<int64_t>(args.max_episode_steps, 1 << 30))),
      grid_(args.grid),
      channels_(game_->channels()) {
    if (args.actions == "minimal") action_map_ = game_->minimal_actions();
    else for (int a = 0; a < kNumActions; ++a) action_map_.push_back(a);
    reset(0);
}

MinAtarEnv::MinAtarEnv(const MinAtarEnv& o)
    : Env(o),
      game_(o.game_->clone()),
      rng_(o.rng_),
      action_map_(o.action_map_),
      sticky_(o.sticky_),
      max_steps_(o.max_steps_),
      grid_(o.grid_),
      channels_(o.channels_),
      last_action_(o.last_action_),
      elapsed_(o.elapsed_),
      log_(o.log_) {}

Space MinAtarEnv::observation_space() const {
    Space s;
    s.kind = Space::Box;
    s.shape = {kSize, kSize, channels_};
    s.low.assign(size_t(kSize * kSize * channels_), 0.0f);
    s.high.assign(size_t(kSize * kSize * channels_), 1.0f);
    return s;
}

std::vector<std::string> MinAtarEnv::action_names() const {
    static const char* names[kNumActions] = {"no-op", "left", "up", "right", "down", "fire"};
    std::vector<std::string> out;
    for (int a : action_map_) out.emplace_back(names[a]);
    return out;
}

void MinAtarEnv::observe(float* obs) const {
    std::fill_n(obs, kSize * kSize * channels_, 0.0f);
    game_->observe(obs);
}

// Gymnasium's reset(seed): a seed (re)creates the one generator the wrapper and the game share, then the game
// resets. The last executed action is kept, as MinAtar keeps it.
void MinAtarEnv::reset_into(std::optional<uint64_t> seed, float* obs) {
    if (seed) rng_.seed(uint32_t(*seed ^ (*seed >> 32)));  // seeds below 2^32 are MinAtar's own
    game_->reset(rng_);
    elapsed_ = 0;
    observe(obs);
    if (log_.keep > 0) {
        log_.finish();  // an episode cut short by a reset still counts
        log_.current.frame_bytes = frame_bytes();
        pack_frame(log_.current.data);
    }
}

void MinAtarEnv::pack_frame(std::vector<uint8_t>& out) const {
    const int n = kSize * kSize * channels_;
    std::vector<float> obs(size_t(n), 0.0f);
    game_->observe(obs.data());
    const size_t at = out.size();
    out.resize(at + size_t(frame_bytes()), 0);
    for (int i = 0; i < n; ++i)
        if (obs[size_t(i)] > 0.5f) out[at + size_t(i / 8)] |= uint8_t(1u << (i % 8));
}

void MinAtarEnv::unpack_frame(const uint8_t* frame, float* obs) const {
    const int n = kSize * kSize * channels_;
    for (int i = 0; i < n; ++i) obs[i] = (frame[i / 8] >> (i % 8)) & 1u ? 1.0f : 0.0f;
}

void MinAtarEnv::render_frame(const uint8_t* frame, Image& img) const {
    std::vector<float> obs(size_t(kSize * kSize * channels_));
    unpack_frame(frame, obs.data());
    render_obs(obs.data(), channels_, palette(game_->channel_names()), grid_, img);
}

StepFlags MinAtarEnv::step_into(int action, float* obs) {
    if (action < 0 || action >= int(action_map_.size()))
        throw std::invalid_argument(id() + ": action " + std::to_string(action) + " outside [0, " +
                                    std::to_string(action_map_.size() - 1) + "]");
    int a = action_map_[size_t(action)];
    // Sticky actions: one draw on every step, even with p = 0 or after the end, so streams stay aligned.
    if (rng_.uniform() < sticky_) a = last_action_;
    last_action_ = a;
    const int reward = game_->step(a, rng_);
    ++elapsed_;
    observe(obs);
    const StepFlags flags{double(reward), game_->terminal(), elapsed_ >= max_steps_};
    if (log_.keep > 0) {
        log_.current.actions.push_back(a);
        log_.current.rewards.push_back(float(reward));
        log_.current.ret += reward;
        pack_frame(log_.current.data);
        if (flags.terminated || flags.truncated) log_.finish();
    }
    return flags;
}

// One colour per object kind, by name, so the same kind looks the same in every game.
std::vector<Rgb> MinAtarEnv::palette(const std::vector<std::string>& names) {
    std::vector<Rgb> out;
    for (const std::string& n : names) {
        Rgb c{200, 200, 200};
        if (n == "paddle" || n == "player" || n == "chicken" || n == "cannon" || n == "sub_front") c = {255, 214, 64};
        else if (n == "sub_back") c = {200, 160, 40};
        else if (n == "ball") c = {250, 250, 250};
        else if (n == "trail") c = {90, 110, 160};
        else if (n == "brick") c = {214, 92, 72};
        else if (n == "enemy" || n == "alien" || n == "enemy_fish") c = {230, 70, 90};
        else if (n == "enemy_sub") c = {190, 60, 200};
        else if (n == "gold" || n == "diver") c = {80, 210, 120};
        else if (n == "car") c = {230, 90, 60};
        else if (n.rfind("speed", 0) == 0) {
            const int k = n.back() - '1';  // speed1 (fastest) .. speed5 (slowest): hot to cold
            c = {uint8_t(200 - 30 * k), uint8_t(90 + 20 * k), uint8_t(70 + 35 * k)};
        } else if (n == "alien_left") c = {150, 60, 70};
        else if (n == "alien_right") c = {150, 70, 60};
        else if (n == "friendly_bullet") c = {120, 220, 255};
        else if (n == "enemy_bullet") c = {255, 120, 200};
        else if (n == "oxygen_guage") c = {70, 150, 255};
        else if (n == "diver_guage") c = {60, 170, 100};
        out.push_back(c);
    }
    return out;
}

void MinAtarEnv::render_obs(const float* obs, int channels, const std::vector<Rgb>& colours, bool grid, Image& img) {
    const int cell = 32, W = kSize * cell;
    img.resize(W, W, {18, 20, 26});
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x) {
            // Later channels first, so the player (channel 0) ends up on top; fractional values blend.
            double r = 18, g = 20, b = 26;
            for (int c = channels - 1; c >= 0; --c) {
                const double v = std::clamp(double(obs[(y * kSize + x) * channels + c]), 0.0, 1.0);
                if (v <= 0) continue;
                const Rgb k = colours[size_t(c)];
                r += (k.r - r) * v, g += (k.g - g) * v, b += (k.b - b) * v;
            }
            img.fill_rect(x * cell, y * cell, (x + 1) * cell, (y + 1) * cell, {uint8_t(r), uint8_t(g), uint8_t(b)});
        }
    if (grid)
        for (int i = 1; i < kSize; ++i) {
            img.fill_rect(i * cell, 0, i * cell + 1, W, {45, 48, 58});
            img.fill_rect(0, i * cell, W, i * cell + 1, {45, 48, 58});
        }
}

void MinAtarEnv::render(Image& img) const {
    std::vector<float> obs(size_t(kSize * kSize * channels_));
    observe(obs.data());
    render_obs(obs.data(), channels_, palette(game_->channel_names()), grid_, img);
}

ObsLook MinAtarEnv::obs_look() const {
    ObsLook l;
    l.kind = ObsLook::Pixels, l.rows = l.cols = minatar::kSize, l.channels = channels_, l.colours = palette();
    return l;
}

void minatar::NumpyRng::io_state(StateIO& io) {
    std::string text;
    if (!io.loading()) {
        std::ostringstream os;
        os << mt_;
        text = os.str();
    }
    io(text);
    if (io.loading()) {
        std::istringstream is(text);
        std::mt19937 mt;
        is >> mt;
        if (is.fail()) io.fail("a Mersenne Twister state that does not read");
        mt_ = mt;
    }
}

void MinAtarEnv::io_state(StateIO& io) {
    io.section("MinAtar");
    io(rng_, last_action_, elapsed_);
    game_->io_state(io);
}

}  // namespace dl
