//! Persistence: watch's copy of the progress and the store it is saved to. Watch goes on when
//! progress cannot be read or saved, with the change kept in memory and a message that says so.

use crate::course::Course;
use crate::state::{Progress, Store};

pub struct Persisted {
    store: Store,
    pub progress: Progress,
}

impl Persisted {
    /// Loads the progress; what is said about it (a repaired file, an unreadable one) comes
    /// back as messages for the screen.
    pub fn load(course: &Course) -> (Persisted, Vec<String>) {
        let store = Store::new(&course.root);
        // Unreadable progress does not stop watch: it starts from the beginning and says why.
        let (progress, unreadable) = match store.load() {
            Ok(p) => (p, None),
            Err(e) => (
                Progress::default(),
                Some(format!(
                    "Progress cannot be read ({e:#}); starting from the first exercise."
                )),
            ),
        };
        let said = store.take_notices().into_iter().chain(unreadable).collect();
        (Persisted { store, progress }, said)
    }

    /// Applies a change (one of `Progress`'s rules) and saves it. Returns what the learner must
    /// be told: that it could not be saved, or that the state file was repaired.
    #[must_use]
    pub fn save(&mut self, change: impl Fn(&mut Progress)) -> Vec<String> {
        let mut said = Vec::new();
        match self.store.update(&change) {
            Ok(p) => self.progress = p,
            Err(e) => {
                change(&mut self.progress);
                said.push(format!(
                    "Progress cannot be saved ({e:#}). Checks go on, but what is done here is not \
                     kept after watch ends."
                ));
            }
        }
        said.extend(self.store.take_notices());
        said
    }
}
