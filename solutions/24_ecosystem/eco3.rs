// eco3
fn main() {}
