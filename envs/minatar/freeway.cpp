// Freeway (spec §5): a chicken in column 4 crosses eight lanes of wrapping traffic; each crossing scores +1 and
// re-randomises the cars' speeds; a car hit sends the chicken back to the bottom. Every episode is 2501 steps.
#include <algorithm>
#include <cstdlib>

#include "envs/minatar/minatar.h"

namespace dl::minatar {

namespace {

constexpr int kChickenCooldown = 3, kTimeLimit = 2500, kChickenX = 4;

class Freeway final : public Game {
public:
    std::string name() const override { return "Freeway"; }
    std::vector<std::string> channel_names() const override {
        return {"chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"};
    }
    std::vector<int> minimal_actions() const override { return {kNoop, kUp, kDown}; }
    std::unique_ptr<Game> clone() const override { return std::make_unique<Freeway>(*this); }
    void io_state(StateIO& io) override { io.section("Freeway"), io(cars_, pos_, move_timer_, terminate_timer_, terminal_); }
    bool terminal() const override { return terminal_; }

    void reset(NumpyRng& rng) override {
        randomise(rng, /*place=*/true);
        pos_ = 9;
        move_timer_ = kChickenCooldown;
        terminate_timer_ = kTimeLimit;
        terminal_ = false;
    }

    int step(int a, NumpyRng& rng) override {
        if (terminal_) return 0;
        int reward = 0;
        if (move_timer_ == 0) {  // a press spends the cooldown even when blocked
            if (a == kUp) move_timer_ = kChickenCooldown, pos_ = std::max(0, pos_ - 1);
            if (a == kDown) move_timer_ = kChickenCooldown, pos_ = std::min(9, pos_ + 1);
        }
        if (pos_ == 0) {  // crossed: new speeds (positions kept), back to the bottom
            reward = 1;
            randomise(rng, /*place=*/false);
            pos_ = 9;
        }
        for (int i = 0; i < 8; ++i) {
            Car& c = cars_[size_t(i)];
            const int row = i + 1;
            if (c.x == kChickenX && row == pos_) pos_ = 9;  // hit before the car moves
            if (c.timer == 0) {                              // tick-or-fire: moves every |v| + 1 steps
                c.timer = std::abs(c.v);
                c.x = (c.x + (c.v > 0) - (c.v < 0) + kSize) % kSize;
                if (c.x == kChickenX && row == pos_) pos_ = 9;
            } else {
                --c.timer;
            }
        }
        if (move_timer_ > 0) --move_timer_;
        if (--terminate_timer_ < 0) terminal_ = true;
        return reward;
    }

    void observe(float* obs) const override {
        light(obs, 7, kChickenX, pos_, 0);
        for (int i = 0; i < 8; ++i) {
            const Car& c = cars_[size_t(i)];
            light(obs, 7, c.x, i + 1, 1);
            const int behind = (c.x + (c.v > 0 ? -1 : 1) + kSize) % kSize;  // the trail wraps
            light(obs, 7, behind, i + 1, std::min(6, 1 + std::abs(c.v)));
        }
    }

private:
    struct Car {
        int x = 0, timer = 0, v = 0;  // v: signed slowness, ±1..±5 (+ moves right)
        void io_state(StateIO& io) { io(x, timer, v); }
    };

    // Eight speeds 1..5, then eight directions (a uniform draw above or below one half).
    void randomise(NumpyRng& rng, bool place) {
        int speed[8];
        for (int& m : speed) m = 1 + rng.below(5);
        for (int i = 0; i < 8; ++i) {
            const double u = rng.uniform();
            const int sign = u > 0.5 ? 1 : (u < 0.5 ? -1 : 0);
            Car& c = cars_[size_t(i)];
            c.v = sign * speed[i];
            c.timer = std::abs(c.v);
            if (place) c.x = 0;
        }
    }

    std::array<Car, 8> cars_{};
    int pos_ = 9, move_timer_ = kChickenCooldown, terminate_timer_ = kTimeLimit;
    bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_freeway() { return std::make_unique<Freeway>(); }

}  // namespace dl::minatar
