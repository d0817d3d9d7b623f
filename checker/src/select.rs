//! Which exercises a `verify` covers: names, chapters, everything up to an exercise, or what the
//! learner's progress says is done. Each selector adds exercises; none means the whole course.

use std::collections::BTreeSet;

use anyhow::{Result, bail};

use crate::course::{Course, Exercise};
use crate::state::Store;

#[derive(clap::Args, Debug, Default, Clone)]
pub struct Selection {
    /// Only these exercises (default: the whole course).
    pub names: Vec<String>,
    /// Every exercise of this chapter folder (repeatable), e.g. `--chapter 03_wakers`.
    #[arg(long = "chapter", value_name = "DIR")]
    pub chapters: Vec<String>,
    /// Every exercise up to and including this one, in course order.
    #[arg(long, value_name = "NAME")]
    pub through: Option<String>,
    /// Every exercise the progress file (.asyncling/state.json) records as done.
    #[arg(long)]
    pub done: bool,
}

impl Selection {
    pub fn is_everything(&self) -> bool {
        self.names.is_empty() && self.chapters.is_empty() && self.through.is_none() && !self.done
    }
}

/// The selected exercises, in course order.
pub fn exercises<'c>(course: &'c Course, sel: &Selection) -> Result<Vec<&'c Exercise>> {
    if sel.is_everything() {
        return Ok(course.exercises.iter().collect());
    }
    let mut picked: BTreeSet<usize> = BTreeSet::new();
    for name in &sel.names {
        picked.insert(course.find(name)?);
    }
    for chapter in &sel.chapters {
        let before = picked.len();
        picked.extend(
            course
                .exercises
                .iter()
                .enumerate()
                .filter(|(_, e)| e.chapter() == chapter.trim_end_matches('/'))
                .map(|(i, _)| i),
        );
        if picked.len() == before && !course.exercises.iter().any(|e| e.chapter() == chapter) {
            bail!("{}", unknown_chapter(course, chapter));
        }
    }
    if let Some(last) = &sel.through {
        picked.extend(0..=course.find(last)?);
    }
    if sel.done {
        // A repaired state file is announced when the store is dropped.
        let progress = Store::new(&course.root).load()?;
        picked.extend(
            course
                .exercises
                .iter()
                .enumerate()
                .filter(|(_, e)| progress.is_done(&e.name))
                .map(|(i, _)| i),
        );
    }
    Ok(picked.into_iter().map(|i| &course.exercises[i]).collect())
}

fn unknown_chapter(course: &Course, chapter: &str) -> String {
    let mut chapters: Vec<&str> = course.exercises.iter().map(Exercise::chapter).collect();
    chapters.dedup();
    let wanted = chapter.to_lowercase();
    let close: Vec<&str> = chapters
        .iter()
        .copied()
        .filter(|c| {
            let c = c.to_lowercase();
            c.contains(&wanted) || wanted.contains(&c) || shares_word(&c, &wanted)
        })
        .take(5)
        .collect();
    if close.is_empty() {
        format!(
            "No chapter folder is named `{chapter}`; the chapters are {}",
            chapters.join(", ")
        )
    } else {
        format!(
            "No chapter folder is named `{chapter}`; did you mean {}?",
            close.join(", ")
        )
    }
}

/// `03_wakers` and `wakers` share the word `wakers`.
fn shares_word(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2 && !w.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let wb = words(b);
    words(a).iter().any(|w| wb.contains(w))
}
