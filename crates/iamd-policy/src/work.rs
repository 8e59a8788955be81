//! A work meter for evaluations whose inputs come from the request (IAM's simulations).
//!
//! Evaluating a request against stored policies is bounded by IAM's size quotas, but
//! `SimulateCustomPolicy` and `SimulatePrincipalPolicy` take the policies, the context values
//! and the actions × resources grid from the caller: wildcard-heavy patterns (`*???…b`) against
//! long context values, a `ForAnyValue` condition with thousands of values against thousands of
//! request values, or a policy variable repeated thousands of times and expanded with a long
//! context value can each cost seconds of CPU or gigabytes of memory in one evaluation (issue
//! #11, finding 3).
//!
//! The engine therefore charges its variable-cost steps to a per-thread meter, in *units* of
//! roughly one nanosecond of work in a release build: a wildcard match with wildcards in the
//! middle (`s.len() / 16` for the substring search, `words × characters` for the automaton),
//! every comparison of a condition value with a request value, every byte a policy variable
//! expands to. Matches that cost no more than the policy text (exact, prefix) are not charged:
//! the caller charges each evaluation its number of statements.
//!
//! Outside a [`Budget`] the meter has no limit and nothing changes. Inside one, once the limit
//! is passed, the engine stops doing variable-cost work (matches answer `false`, conditions do
//! not hold): the decisions computed after that point are meaningless, and the caller must
//! discard them and answer an error, which [`Budget::exhausted`] tells it to do. A budget thus
//! bounds both the time and the memory of one request, whatever the policies say.

use std::cell::Cell;

thread_local! {
    static SPENT: Cell<u64> = const { Cell::new(0) };
    static LIMIT: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// Charges `units` of work to this thread's meter; `false` once the current budget is exhausted
/// (the caller should then stop and answer anything cheap: the result is discarded).
#[inline]
pub(crate) fn charge(units: usize) -> bool {
    let spent = SPENT.with(|s| {
        let n = s.get().saturating_add(units as u64);
        s.set(n);
        n
    });
    spent <= LIMIT.with(Cell::get)
}

/// Whether the current budget is exhausted (never, outside a budget).
#[inline]
pub(crate) fn exhausted() -> bool {
    SPENT.with(Cell::get) > LIMIT.with(Cell::get)
}

/// A limit on the work of the evaluations run on this thread while it is alive; the previous
/// meter (normally: no limit) is restored when it is dropped. Not `Send`: it meters the thread
/// it was started on.
#[derive(Debug)]
pub struct Budget {
    outer_spent: u64,
    outer_limit: u64,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Budget {
    /// Starts metering this thread's evaluations with a limit of `limit` units.
    pub fn start(limit: u64) -> Budget {
        Budget {
            outer_spent: SPENT.with(|s| s.replace(0)),
            outer_limit: LIMIT.with(|l| l.replace(limit)),
            _not_send: std::marker::PhantomData,
        }
    }

    /// Charges work done outside the engine (the caller's own per-evaluation costs); `false`
    /// once the budget is exhausted.
    pub fn charge(&self, units: u64) -> bool {
        charge(usize::try_from(units).unwrap_or(usize::MAX))
    }

    /// Units spent since the budget started.
    pub fn spent(&self) -> u64 {
        SPENT.with(Cell::get)
    }

    /// Whether the limit was passed: every decision computed since may be wrong and must be
    /// discarded.
    pub fn exhausted(&self) -> bool {
        exhausted()
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        SPENT.with(|s| s.set(self.outer_spent));
        LIMIT.with(|l| l.set(self.outer_limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_nest_and_restore() {
        assert!(charge(10));
        {
            let b = Budget::start(100);
            assert!(b.charge(60));
            assert!(!b.exhausted());
            assert!(!charge(50));
            assert!(b.exhausted());
            assert_eq!(b.spent(), 110);
        }
        assert!(!exhausted());
        assert!(charge(usize::MAX));
        assert!(charge(usize::MAX));
    }
}
