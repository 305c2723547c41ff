// Seaquest (spec §6): a two-cell submarine shoots fish and enemy subs, picks up divers, and must surface (with at
// least one diver aboard) before its oxygen runs out. Objects live in creation-ordered lists; every update loop
// visits them newest first, and target searches take the oldest match.
#include <algorithm>
#include <vector>

#include "envs/minatar/minatar.h"

namespace dl::minatar {

namespace {

constexpr int kMaxOxygen = 200, kEnemySpawn = 20, kDiverSpawn = 30, kEnemyMove = 5, kShotCooldown = 5;
constexpr int kEnemyShot = 10, kDiverMove = 5, kMaxDivers = 6;

struct Bullet {
    int x, y;
    bool right;
    void io_state(StateIO& io) { io(x, y, right); }
};
struct Mover {  // fish, enemy subs and divers
    int x, y;
    bool right;
    int move_timer;
    int shot_timer = 0;  // subs only
    void io_state(StateIO& io) { io(x, y, right, move_timer, shot_timer); }
};

inline int step_x(int x, bool right) { return x + (right ? 1 : -1); }
inline bool off_grid(int x) { return x < 0 || x > 9; }

class Seaquest final : public Game {
public:
    explicit Seaquest(bool ramping) : ramping_(ramping) {}
    std::string name() const override { return "Seaquest"; }
    std::vector<std::string> channel_names() const override {
        return {"sub_front", "sub_back", "friendly_bullet", "trail", "enemy_bullet",
                "enemy_fish", "enemy_sub", "oxygen_guage", "diver_guage", "diver"};
    }
    std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kUp, kRight, kDown, kFire}; }
    std::unique_ptr<Game> clone() const override { return std::make_unique<Seaquest>(*this); }
    void io_state(StateIO& io) override {
        io.section("Seaquest");
        io(oxygen_, divers_aboard_, x_, y_, facing_right_, pbullets_, ebullets_, fish_, subs_, divers_);
        io(e_spawn_speed_, e_spawn_timer_, d_spawn_timer_, move_speed_, ramp_index_, shot_timer_, at_surface_, terminal_);
    }
    bool terminal() const override { return terminal_; }
    int ramp_index() const override { return ramp_index_; }

    void reset(NumpyRng&) override {
        oxygen_ = kMaxOxygen;
        divers_aboard_ = 0;
        x_ = 5, y_ = 0, facing_right_ = false;
        pbullets_.clear(), ebullets_.clear(), fish_.clear(), subs_.clear(), divers_.clear();
        e_spawn_speed_ = e_spawn_timer_ = kEnemySpawn;
        d_spawn_timer_ = kDiverSpawn;
        move_speed_ = kEnemyMove;
        ramp_index_ = 0;
        shot_timer_ = 0;
        at_surface_ = true;
        terminal_ = false;
    }

    int step(int a, NumpyRng& rng) override {
        if (terminal_) return 0;
        int reward = 0;
        if (e_spawn_timer_ == 0) {  // reload even when the attempt is refused
            spawn_enemy(rng);
            e_spawn_timer_ = e_spawn_speed_;
        }
        if (d_spawn_timer_ == 0) {
            spawn_diver(rng);
            d_spawn_timer_ = kDiverSpawn;
        }
        if (a == kFire) {
            if (shot_timer_ == 0) pbullets_.push_back({x_, y_, facing_right_}), shot_timer_ = kShotCooldown;
        } else if (a == kLeft) {
            x_ = std::max(0, x_ - 1), facing_right_ = false;
        } else if (a == kRight) {
            x_ = std::min(9, x_ + 1), facing_right_ = true;
        } else if (a == kUp) {
            y_ = std::max(0, y_ - 1);
        } else if (a == kDown) {
            y_ = std::min(8, y_ + 1);
        }

        // Player bullets: a bullet destroys at most one enemy, the oldest fish on its cell, else the oldest sub.
        for (int i = int(pbullets_.size()) - 1; i >= 0; --i) {
            Bullet& b = pbullets_[size_t(i)];
            b.x = step_x(b.x, b.right);
            if (off_grid(b.x)) {
                erase(pbullets_, i);
            } else if (const int f = oldest_at(fish_, b.x, b.y); f >= 0) {
                erase(fish_, f), erase(pbullets_, i), ++reward;
            } else if (const int s = oldest_at(subs_, b.x, b.y); s >= 0) {
                erase(subs_, s), erase(pbullets_, i), ++reward;
            }
        }
        // Divers: picked up on the front cell while there is room.
        for (int i = int(divers_.size()) - 1; i >= 0; --i) {
            Mover& d = divers_[size_t(i)];
            if (at_player(d.x, d.y) && divers_aboard_ < kMaxDivers) {
                erase(divers_, i), ++divers_aboard_;
            } else if (d.move_timer == 0) {
                d.move_timer = kDiverMove;
                d.x = step_x(d.x, d.right);
                if (off_grid(d.x)) erase(divers_, i);
                else if (at_player(d.x, d.y) && divers_aboard_ < kMaxDivers) erase(divers_, i), ++divers_aboard_;
            } else {
                --d.move_timer;
            }
        }
        // Enemy subs move, then shoot (a sub removed this step still fires if its timer says so).
        for (int i = int(subs_.size()) - 1; i >= 0; --i) {
            const Moved m = move_enemy(subs_, i);
            reward += m.reward;
            if (m.after.shot_timer == 0) {
                if (!m.removed) subs_[size_t(i)].shot_timer = kEnemyShot;
                ebullets_.push_back({m.after.x, m.after.y, m.after.right});  // off the grid: gone next phase
            } else if (!m.removed) {
                --subs_[size_t(i)].shot_timer;
            }
        }
        // Enemy bullets, newest first (this step's shots go first).
        for (int i = int(ebullets_.size()) - 1; i >= 0; --i) {
            Bullet& b = ebullets_[size_t(i)];
            if (at_player(b.x, b.y)) terminal_ = true;
            b.x = step_x(b.x, b.right);
            if (off_grid(b.x)) erase(ebullets_, i);
            else if (at_player(b.x, b.y)) terminal_ = true;
        }
        for (int i = int(fish_.size()) - 1; i >= 0; --i) reward += move_enemy(fish_, i).reward;
        if (e_spawn_timer_ > 0) --e_spawn_timer_;
        if (d_spawn_timer_ > 0) --d_spawn_timer_;
        if (shot_timer_ > 0) --shot_timer_;
        if (oxygen_ <= 0) terminal_ = true;  // checked before this step's use: the death lags by one step
        if (y_ > 0) {
            --oxygen_;
            at_surface_ = false;
        } else if (!at_surface_) {
            if (divers_aboard_ == 0) terminal_ = true;  // surfacing without a diver
            else reward += surface();
        }
        return reward;
    }

    void observe(float* obs) const override {
        constexpr int C = 10;
        light(obs, C, x_, y_, 0);
        light(obs, C, facing_right_ ? x_ - 1 : x_ + 1, y_, 1);
        for (const Bullet& b : pbullets_) light(obs, C, b.x, b.y, 2);
        for (const Bullet& b : ebullets_) light(obs, C, b.x, b.y, 4);
        auto movers = [&](const std::vector<Mover>& v, int c) {
            for (const Mover& m : v) {
                light(obs, C, m.x, m.y, c);
                light(obs, C, m.right ? m.x - 1 : m.x + 1, m.y, 3);
            }
        };
        movers(fish_, 5), movers(subs_, 6), movers(divers_, 9);
        const int oxygen_cells = std::max(0, oxygen_) * 10 / kMaxOxygen;
        for (int x = 0; x < oxygen_cells; ++x) light(obs, C, x, 9, 7);
        for (int x = 9 - divers_aboard_; x <= 8 && divers_aboard_ > 0; ++x) light(obs, C, x, 9, 8);
    }

private:
    bool at_player(int x, int y) const { return x == x_ && y == y_; }

    template <class T>
    static void erase(std::vector<T>& v, int i) { v.erase(v.begin() + i); }

    template <class T>
    static int oldest_at(const std::vector<T>& v, int x, int y) {
        for (size_t i = 0; i < v.size(); ++i)
            if (v[i].x == x && v[i].y == y) return int(i);
        return -1;
    }

    // Phase 7/9 for one fish or sub: collide in place, then (every move_speed + 1 steps) move one column and
    // leave the grid, hit the player, or be hit by the oldest player bullet on the new cell.
    struct Moved {
        int reward = 0;
        bool removed = false;
        Mover after;  // its state after the move (a sub that left or was hit still fires from there)
    };
    Moved move_enemy(std::vector<Mover>& v, int i) {
        Mover& e = v[size_t(i)];
        Moved m;
        if (at_player(e.x, e.y)) terminal_ = true;
        if (e.move_timer != 0) {
            --e.move_timer;
            m.after = e;
            return m;
        }
        e.move_timer = move_speed_;
        e.x = step_x(e.x, e.right);
        m.after = e;
        if (off_grid(e.x)) {
            erase(v, i), m.removed = true;
        } else if (at_player(e.x, e.y)) {
            terminal_ = true;
        } else if (const int b = oldest_at(pbullets_, e.x, e.y); b >= 0) {
            erase(pbullets_, b), erase(v, i), m.removed = true, m.reward = 1;
        }
        return m;
    }

    void spawn_enemy(NumpyRng& rng) {
        const bool right = rng.uniform() < 0.5;
        const bool is_sub = rng.uniform() < 1.0 / 3;
        const int y = 1 + rng.below(8);
        const int x = right ? 0 : 9;
        // Every row carries traffic one way only: refused if an enemy in that row moves the other way.
        for (const auto* list : {&fish_, &subs_})
            for (const Mover& m : *list)
                if (m.y == y && m.right != right) return;
        if (is_sub) subs_.push_back({x, y, right, move_speed_, kEnemyShot});
        else fish_.push_back({x, y, right, move_speed_});
    }

    void spawn_diver(NumpyRng& rng) {
        const bool right = rng.uniform() < 0.5;
        const int y = 1 + rng.below(8);
        divers_.push_back({right ? 0 : 9, y, right, kDiverMove});
    }

    // Back at the surface: a full load of six divers pays the remaining oxygen; one diver is let off (the count
    // can go negative after a full load, as in MinAtar); the game speeds up.
    int surface() {
        at_surface_ = true;
        int bonus = 0;
        if (divers_aboard_ == kMaxDivers) {
            divers_aboard_ = 0;
            bonus = oxygen_ * 10 / kMaxOxygen;
        }
        oxygen_ = kMaxOxygen;
        --divers_aboard_;
        if (ramping_ && (e_spawn_speed_ > 1 || move_speed_ > 2)) {
            if (move_speed_ > 2 && ramp_index_ % 2 == 1) --move_speed_;
            if (e_spawn_speed_ > 1) --e_spawn_speed_;
            ++ramp_index_;
        }
        return bonus;
    }

    bool ramping_;
    int oxygen_ = kMaxOxygen, divers_aboard_ = 0;
    int x_ = 5, y_ = 0;
    bool facing_right_ = false;
    std::vector<Bullet> pbullets_, ebullets_;
    std::vector<Mover> fish_, subs_, divers_;
    int e_spawn_speed_ = kEnemySpawn, e_spawn_timer_ = kEnemySpawn, d_spawn_timer_ = kDiverSpawn;
    int move_speed_ = kEnemyMove, ramp_index_ = 0, shot_timer_ = 0;
    bool at_surface_ = true, terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_seaquest(bool ramping) { return std::make_unique<Seaquest>(ramping); }

}  // namespace dl::minatar
