// Asterix (spec §4): the player moves in four directions between rows 1 and 8; enemies and gold enter from the
// left or right edge, one lane per row. Gold scores +1; touching an enemy ends the episode. Spawning and movement
// speed up every 102 steps when ramping.
#include <algorithm>

#include "envs/minatar/minatar.h"

namespace dl::minatar {

namespace {

constexpr int kSpawnInterval = 10, kMoveInterval = 5, kRampInterval = 100;

class Asterix final : public Game {
public:
    explicit Asterix(bool ramping) : ramping_(ramping) {}
    std::string name() const override { return "Asterix"; }
    std::vector<std::string> channel_names() const override { return {"player", "enemy", "trail", "gold"}; }
    std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kUp, kRight, kDown}; }
    std::unique_ptr<Game> clone() const override { return std::make_unique<Asterix>(*this); }
    void io_state(StateIO& io) override {
        io.section("Asterix");
        io(px_, py_, slots_, spawn_speed_, spawn_timer_, move_speed_, move_timer_, ramp_timer_, ramp_index_, terminal_);
    }
    bool terminal() const override { return terminal_; }
    int ramp_index() const override { return ramp_index_; }

    void reset(NumpyRng&) override {
        px_ = 5, py_ = 5;
        slots_ = {};
        spawn_speed_ = spawn_timer_ = kSpawnInterval;
        move_speed_ = move_timer_ = kMoveInterval;
        ramp_timer_ = kRampInterval;
        ramp_index_ = 0;
        terminal_ = false;
    }

    int step(int a, NumpyRng& rng) override {
        if (terminal_) return 0;
        int reward = 0;
        if (spawn_timer_ == 0) {  // reload even when no lane was free
            spawn(rng);
            spawn_timer_ = spawn_speed_;
        }
        if (a == kLeft) px_ = std::max(0, px_ - 1);
        if (a == kRight) px_ = std::min(9, px_ + 1);
        if (a == kUp) py_ = std::max(1, py_ - 1);
        if (a == kDown) py_ = std::min(8, py_ + 1);
        // Contact before the entities move.
        for (int s = 0; s < 8; ++s) reward += touch(s);
        if (move_timer_ == 0) {
            move_timer_ = move_speed_;
            for (int s = 0; s < 8; ++s) {
                Slot& e = slots_[size_t(s)];
                if (!e.used) continue;
                e.x += e.right ? 1 : -1;
                if (e.x < 0 || e.x > 9) e.used = false;
                else reward += touch(s);
            }
        }
        --spawn_timer_, --move_timer_;
        if (ramping_ && (spawn_speed_ > 1 || move_speed_ > 1)) {
            if (ramp_timer_ >= 0) {
                --ramp_timer_;
            } else {
                if (move_speed_ > 1 && ramp_index_ % 2 == 1) --move_speed_;
                if (spawn_speed_ > 1) --spawn_speed_;
                ++ramp_index_;
                ramp_timer_ = kRampInterval;
            }
        }
        return reward;
    }

    void observe(float* obs) const override {
        light(obs, 4, px_, py_, 0);
        for (int s = 0; s < 8; ++s) {
            const Slot& e = slots_[size_t(s)];
            if (!e.used) continue;
            light(obs, 4, e.x, s + 1, e.gold ? 3 : 1);
            light(obs, 4, e.right ? e.x - 1 : e.x + 1, s + 1, 2);  // a direction marker behind it
        }
    }

private:
    struct Slot {
        bool used = false, right = false, gold = false;
        int x = 0;
        void io_state(StateIO& io) { io(used, right, gold, x); }
    };

    // Slot s is the lane in row s + 1. Gold is collected, an enemy ends the game (and stays).
    int touch(int s) {
        Slot& e = slots_[size_t(s)];
        if (!e.used || e.x != px_ || s + 1 != py_) return 0;
        if (e.gold) {
            e.used = false;
            return 1;
        }
        terminal_ = true;
        return 0;
    }

    void spawn(NumpyRng& rng) {
        const bool right = rng.uniform() < 0.5;
        const bool gold = rng.uniform() < 1.0 / 3;
        int free[8], n = 0;
        for (int s = 0; s < 8; ++s)
            if (!slots_[size_t(s)].used) free[n++] = s;
        if (n == 0) return;
        Slot& e = slots_[size_t(free[rng.below(n)])];
        e.used = true, e.right = right, e.gold = gold, e.x = right ? 0 : 9;
    }

    bool ramping_;
    int px_ = 5, py_ = 5;
    std::array<Slot, 8> slots_{};
    int spawn_speed_ = kSpawnInterval, spawn_timer_ = kSpawnInterval, move_speed_ = kMoveInterval, move_timer_ = kMoveInterval;
    int ramp_timer_ = kRampInterval, ramp_index_ = 0;
    bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_asterix(bool ramping) { return std::make_unique<Asterix>(ramping); }

}  // namespace dl::minatar
