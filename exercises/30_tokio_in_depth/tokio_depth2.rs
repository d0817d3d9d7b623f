// tokio_depth2: <one line: what the learner builds>
//
// <What to change, what not to touch, the concept in two or three lines.>

// TODO: <what to do here>
fn answer() -> u32 {
    todo!("write the exercise")
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    // Name each test after the wrong answer it rejects.
    #[test]
    fn a_plausible_wrong_answer_is_rejected() {
        assert_eq!(answer(), 42);
    }
}
