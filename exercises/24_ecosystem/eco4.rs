// eco4
fn main() {}
