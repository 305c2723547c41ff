// Breakout (spec §3): a one-cell paddle on the bottom row, a ball that always moves diagonally, three rows of
// bricks. The only random draw is the ball's side at reset.
#include <algorithm>

#include "envs/minatar/minatar.h"

namespace dl::minatar {

namespace {

// Ball directions: 0 up-left, 1 up-right, 2 down-right, 3 down-left.
constexpr int kDx[4] = {-1, +1, +1, -1};
constexpr int kDy[4] = {-1, -1, +1, +1};
constexpr int kFlipX[4] = {1, 0, 3, 2};    // side wall
constexpr int kFlipY[4] = {3, 2, 1, 0};    // ceiling, brick, paddle straight below
constexpr int kReverse[4] = {2, 3, 0, 1};  // paddle met on the landing cell

class Breakout final : public Game {
public:
    std::string name() const override { return "Breakout"; }
    std::vector<std::string> channel_names() const override { return {"paddle", "ball", "trail", "brick"}; }
    std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kRight}; }
    std::unique_ptr<Game> clone() const override { return std::make_unique<Breakout>(*this); }
    void io_state(StateIO& io) override {
        io.section("Breakout");
        io(paddle_x_, ball_x_, ball_y_, dir_, last_x_, last_y_, bricks_, strike_, terminal_);
    }
    bool terminal() const override { return terminal_; }

    void reset(NumpyRng& rng) override {
        paddle_x_ = 4;
        ball_y_ = 3;
        if (rng.below(2) == 0) ball_x_ = 0, dir_ = 2;
        else ball_x_ = 9, dir_ = 3;
        last_x_ = ball_x_, last_y_ = ball_y_;
        bricks_ = {};
        fill_bricks();
        strike_ = terminal_ = false;
    }

    int step(int a, NumpyRng&) override {
        if (terminal_) return 0;
        int reward = 0;
        if (a == kLeft) paddle_x_ = std::max(0, paddle_x_ - 1);
        if (a == kRight) paddle_x_ = std::min(9, paddle_x_ + 1);
        last_x_ = ball_x_, last_y_ = ball_y_;
        int nx = ball_x_ + kDx[dir_], ny = ball_y_ + kDy[dir_];
        bool hit_brick = false;
        if (nx < 0 || nx > 9) {
            nx = std::clamp(nx, 0, 9);
            dir_ = kFlipX[dir_];
        }
        if (ny < 0) {  // ceiling
            ny = 0;
            dir_ = kFlipY[dir_];
        } else if (bricks_[size_t(ny)][size_t(nx)]) {
            hit_brick = true;
            if (!strike_) {  // break it and bounce, keeping the row; a latched strike tunnels into the brick
                reward = 1;
                strike_ = true;
                bricks_[size_t(ny)][size_t(nx)] = false;
                ny = last_y_;
                dir_ = kFlipY[dir_];
            }
        } else if (ny == 9) {  // the paddle row
            if (count_bricks() == 0) fill_bricks();
            if (ball_x_ == paddle_x_) {
                dir_ = kFlipY[dir_];
                ny = last_y_;
            } else if (nx == paddle_x_) {
                dir_ = kReverse[dir_];
                ny = last_y_;
            } else {
                terminal_ = true;
            }
        }
        if (!hit_brick) strike_ = false;
        ball_x_ = nx, ball_y_ = ny;
        return reward;
    }

    void observe(float* obs) const override {
        light(obs, 4, paddle_x_, 9, 0);
        light(obs, 4, ball_x_, ball_y_, 1);
        light(obs, 4, last_x_, last_y_, 2);
        for (int y = 0; y < kSize; ++y)
            for (int x = 0; x < kSize; ++x)
                if (bricks_[size_t(y)][size_t(x)]) light(obs, 4, x, y, 3);
    }

private:
    void fill_bricks() {
        for (int y = 1; y <= 3; ++y) bricks_[size_t(y)].fill(true);
    }
    int count_bricks() const {
        int n = 0;
        for (const auto& row : bricks_)
            for (bool b : row) n += b;
        return n;
    }

    int paddle_x_ = 4, ball_x_ = 0, ball_y_ = 3, dir_ = 2, last_x_ = 0, last_y_ = 3;
    std::array<std::array<bool, kSize>, kSize> bricks_{};
    bool strike_ = false, terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_breakout() { return std::make_unique<Breakout>(); }

int breakout_tracker(const float* obs) {
    int paddle = -1, ball = -1;
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x) {
            const float* cell = obs + (y * kSize + x) * 4;
            if (cell[0] > 0.5f) paddle = x;
            if (cell[1] > 0.5f) ball = x;
        }
    if (paddle < 0 || ball < 0 || paddle == ball) return kNoop;
    return ball < paddle ? kLeft : kRight;
}

}  // namespace dl::minatar
