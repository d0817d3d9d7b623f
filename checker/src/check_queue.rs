//! The rule that makes sure no save is lost while a check runs.
//!
//! A save that arrives during a check makes that check stale: it is cancelled, and as soon as it
//! has stopped a new check of the newest content starts. However many saves arrive meanwhile, one
//! restart covers them all, and a stale result is never shown.

#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Start a check now.
    Start,
    /// Cancel the running check; a new one starts when it has stopped.
    Cancel,
    /// Nothing to do.
    Nothing,
}

#[derive(Debug, Default)]
pub struct CheckQueue {
    running: bool,
    stale: bool,
}

impl CheckQueue {
    /// The exercise file changed (or the learner asked for a check).
    pub fn saved(&mut self) -> Action {
        if self.running {
            if self.stale {
                // Already cancelled; the restart will read the newest content.
                Action::Nothing
            } else {
                self.stale = true;
                Action::Cancel
            }
        } else {
            self.running = true;
            Action::Start
        }
    }

    /// The running check ended. Returns whether its result describes the file as it is now, and
    /// what to do next.
    pub fn finished(&mut self) -> (bool, Action) {
        self.running = false;
        if self.stale {
            self.stale = false;
            self.running = true;
            (false, Action::Start)
        } else {
            (true, Action::Nothing)
        }
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Forget the running check (the learner moved to another exercise); its result is stale.
    pub fn abandon(&mut self) {
        if self.running {
            self.stale = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_when_idle_starts_a_check() {
        let mut q = CheckQueue::default();
        assert_eq!(q.saved(), Action::Start);
        assert_eq!(q.finished(), (true, Action::Nothing));
    }

    #[test]
    fn a_save_during_a_check_cancels_it_and_checks_again() {
        let mut q = CheckQueue::default();
        q.saved();
        assert_eq!(q.saved(), Action::Cancel);
        // The cancelled check's result is not shown; the newest content is checked.
        assert_eq!(q.finished(), (false, Action::Start));
        assert_eq!(q.finished(), (true, Action::Nothing));
    }

    #[test]
    fn many_saves_during_a_check_cause_one_restart() {
        let mut q = CheckQueue::default();
        q.saved();
        assert_eq!(q.saved(), Action::Cancel);
        assert_eq!(q.saved(), Action::Nothing);
        assert_eq!(q.saved(), Action::Nothing);
        assert_eq!(q.finished(), (false, Action::Start));
        assert!(q.is_running());
        assert_eq!(q.finished(), (true, Action::Nothing));
        assert!(!q.is_running());
    }

    #[test]
    fn a_save_after_the_check_finished_starts_a_new_one() {
        let mut q = CheckQueue::default();
        q.saved();
        q.finished();
        assert_eq!(q.saved(), Action::Start);
    }

    #[test]
    fn an_abandoned_check_is_not_shown() {
        let mut q = CheckQueue::default();
        q.saved();
        q.abandon();
        assert_eq!(q.finished(), (false, Action::Start));
    }
}
