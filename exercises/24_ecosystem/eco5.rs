// eco5
fn main() {}
