// Space Invaders (spec §7): a cannon on the bottom row shoots up at a 4 × 6 block of aliens that marches sideways,
// steps down at the edges and shoots back. The game draws no random numbers: all variety comes from the policy
// and sticky actions.
#include <algorithm>
#include <bit>
#include <cstdlib>

#include "envs/minatar/minatar.h"

namespace dl::minatar {

namespace {

constexpr int kShotCooldown = 5, kMoveInterval = 12, kMinMoveInterval = 6, kAlienShotInterval = 10;
// A 10 x 10 boolean map as ten 10-bit rows (bit x = column x): moving a block or a volley of bullets is a shift.
using Grid = std::array<uint16_t, kSize>;
constexpr uint16_t kRowMask = (1u << kSize) - 1;
inline bool at(const Grid& g, int x, int y) { return (g[size_t(y)] >> x) & 1u; }

class SpaceInvaders final : public Game {
public:
    explicit SpaceInvaders(bool ramping) : ramping_(ramping) {}
    std::string name() const override { return "SpaceInvaders"; }
    std::vector<std::string> channel_names() const override {
        return {"cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"};
    }
    std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kRight, kFire}; }
    std::unique_ptr<Game> clone() const override { return std::make_unique<SpaceInvaders>(*this); }
    void io_state(StateIO& io) override {
        io.section("SpaceInvaders");
        io(pos_, dir_, move_interval_, alien_move_timer_, alien_shot_timer_, shot_timer_, ramp_index_, aliens_, pbullets_,
           ebullets_, terminal_);
    }
    bool terminal() const override { return terminal_; }
    int ramp_index() const override { return ramp_index_; }

    void reset(NumpyRng&) override {
        pos_ = 5;
        aliens_ = {}, pbullets_ = {}, ebullets_ = {};
        place_block();
        dir_ = -1;
        move_interval_ = alien_move_timer_ = kMoveInterval;
        alien_shot_timer_ = kAlienShotInterval;
        shot_timer_ = 0;
        ramp_index_ = 0;
        terminal_ = false;
    }

    int step(int a, NumpyRng&) override {
        if (terminal_) return 0;
        int reward = 0;
        if (a == kFire && shot_timer_ == 0) {
            pbullets_[9] |= uint16_t(1u << pos_);
            shot_timer_ = kShotCooldown;
        } else if (a == kLeft) {
            pos_ = std::max(0, pos_ - 1);
        } else if (a == kRight) {
            pos_ = std::min(9, pos_ + 1);
        }
        // Player bullets rise (row 0's leave), enemy bullets fall (row 9's leave).
        std::copy(pbullets_.begin() + 1, pbullets_.end(), pbullets_.begin());
        pbullets_[9] = 0;
        std::copy_backward(ebullets_.begin(), ebullets_.end() - 1, ebullets_.end());
        ebullets_[0] = 0;
        if (at(ebullets_, pos_, 9)) terminal_ = true;
        if (at(aliens_, pos_, 9)) terminal_ = true;
        if (alien_move_timer_ == 0) {
            alien_move_timer_ = std::min(count(aliens_), move_interval_);
            if ((dir_ < 0 && any_in_column(0)) || (dir_ > 0 && any_in_column(9))) {
                dir_ = -dir_;
                if (aliens_[9]) terminal_ = true;
                std::rotate(aliens_.rbegin(), aliens_.rbegin() + 1, aliens_.rend());  // down one row, row 9 wraps to 0
            } else {
                for (uint16_t& row : aliens_) row = dir_ < 0 ? uint16_t(row >> 1) : uint16_t((row << 1) & kRowMask);
            }
            if (at(aliens_, pos_, 9)) terminal_ = true;
        }
        if (alien_shot_timer_ == 0) {
            alien_shot_timer_ = kAlienShotInterval;
            // The column nearest the cannon that holds an alien (ties: the smaller column), its lowest alien.
            int best = -1;
            for (int x = 0; x < kSize; ++x)
                if (any_in_column(x) && (best < 0 || std::abs(x - pos_) < std::abs(best - pos_))) best = x;
            if (best >= 0)
                for (int y = 9; y >= 0; --y)
                    if (at(aliens_, best, y)) {
                        ebullets_[size_t(y)] |= uint16_t(1u << best);
                        break;
                    }
        }
        for (int y = 0; y < kSize; ++y) {
            const uint16_t hit = aliens_[size_t(y)] & pbullets_[size_t(y)];
            reward += std::popcount(hit);
            aliens_[size_t(y)] &= uint16_t(~hit), pbullets_[size_t(y)] &= uint16_t(~hit);
        }
        if (shot_timer_ > 0) --shot_timer_;
        --alien_move_timer_, --alien_shot_timer_;
        if (count(aliens_) == 0) {  // a new wave keeps direction, timers and bullets
            if (ramping_ && move_interval_ > kMinMoveInterval) --move_interval_, ++ramp_index_;
            place_block();
        }
        return reward;
    }

    void observe(float* obs) const override {
        light(obs, 6, pos_, 9, 0);
        auto each = [&](const Grid& g, auto&& f) {
            for (int y = 0; y < kSize; ++y)
                for (uint16_t row = g[size_t(y)]; row; row &= uint16_t(row - 1)) f(std::countr_zero(row), y);
        };
        each(aliens_, [&](int x, int y) {
            light(obs, 6, x, y, 1);
            light(obs, 6, x, y, dir_ < 0 ? 2 : 3);
        });
        each(pbullets_, [&](int x, int y) { light(obs, 6, x, y, 4); });
        each(ebullets_, [&](int x, int y) { light(obs, 6, x, y, 5); });
    }

private:
    void place_block() {
        for (int y = 0; y <= 3; ++y) aliens_[size_t(y)] |= 0b0011111100;  // columns 2-7
    }
    static int count(const Grid& g) {
        int n = 0;
        for (uint16_t row : g) n += std::popcount(row);
        return n;
    }
    bool any_in_column(int x) const {
        uint16_t all = 0;
        for (uint16_t row : aliens_) all |= row;
        return (all >> x) & 1u;
    }

    bool ramping_;
    int pos_ = 5, dir_ = -1, move_interval_ = kMoveInterval, alien_move_timer_ = kMoveInterval;
    int alien_shot_timer_ = kAlienShotInterval, shot_timer_ = 0, ramp_index_ = 0;
    Grid aliens_{}, pbullets_{}, ebullets_{};
    bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_space_invaders(bool ramping) { return std::make_unique<SpaceInvaders>(ramping); }

}  // namespace dl::minatar
