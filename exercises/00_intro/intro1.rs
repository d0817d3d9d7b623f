// intro1: how asyncling works
//
// Every exercise is a small Rust file like this one. It fails as shipped; you make it pass.
// asyncling builds the file's tests, runs them, and shows you the first step that failed.
// While `asyncling watch` runs, every save of the current exercise is checked again, and when
// it passes you press `n` for the next one. Stuck? `h` (or `asyncling hint`) shows the next hint.
//
// Each chapter starts with a lesson: exercises/<chapter>/README.md. Read it first.
//
// This one exercise already passes: read it, then move on to intro2.

fn greeting() -> &'static str {
    "Hello from asyncling"
}

fn main() {
    println!("{}", greeting());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_names_the_course() {
        assert!(greeting().contains("asyncling"));
    }
}
