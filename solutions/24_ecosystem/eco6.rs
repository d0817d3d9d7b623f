// eco6
fn main() {}
