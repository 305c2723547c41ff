#include "core/session/lockstep.h"

namespace dl {

LockstepPair::LockstepPair(Session& a, Session& b) : a_(a), b_(b) {
    if (a.algo().step_unit != b.algo().step_unit)
        throw ParamError("a lockstep pair needs two runs that count the same steps: " + a.algo().id + " counts " +
                         (a.algo().planner ? "sweeps" : "env steps") + ", " + b.algo().id + " " +
                         (b.algo().planner ? "sweeps" : "env steps"));
}

void LockstepPair::advance_to(int64_t units) {
    if (units <= target_) return;
    target_ = units;
    a_.run_to(units);
    b_.run_to(units);
}

bool LockstepPair::arrived(Snapshot& a, Snapshot& b) {
    a_.context().poll_snapshot(seq_a_, last_a_);
    b_.context().poll_snapshot(seq_b_, last_b_);
    auto there = [&](const Snapshot& s, uint64_t seq) {
        return seq > 0 && (s.finished || !s.error.empty() || (s.paused && s.units >= target_));
    };
    if (!there(last_a_, seq_a_) || !there(last_b_, seq_b_)) return false;
    a = last_a_, b = last_b_;
    return true;
}

}  // namespace dl
