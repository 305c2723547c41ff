// Lockstep A/B — two runs from the same seed and config but for the switches flipped (DQN's target network off,
// SARSA instead of Q-learning), advanced so that neither takes a step past the other: both run to the same count of
// their step unit (env steps; sweeps for planners) and stop there, and only then does anyone look. At every moment
// the owner shows, the two stand at the same point of training, so a difference on screen is the switch's.
#pragma once
#include <cstdint>

#include "core/session/session.h"

namespace dl {

class LockstepPair {
public:
    // Both sessions must count the same unit (both learners, or both planners); they are driven from here on (their
    // own speed and pause are no longer the owner's).
    LockstepPair(Session& a, Session& b);
    // Both go on (unthrottled) until their counters reach `units`, and pause there. A target at or below the last
    // does nothing.
    void advance_to(int64_t units);
    int64_t target() const { return target_; }
    // True once both stand at the target (or have finished, or failed): `a` and `b` are their snapshots there, taken
    // at equal counts unless one run ended first. Never blocks.
    bool arrived(Snapshot& a, Snapshot& b);

private:
    Session& a_;
    Session& b_;
    int64_t target_ = 0;
    uint64_t seq_a_ = 0, seq_b_ = 0;
    Snapshot last_a_, last_b_;
};

}  // namespace dl
