// eco2
fn main() {}
