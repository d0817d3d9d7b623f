//! The modules of the runtime import each other without loops, and the bottom layer stands
//! alone: the reactor and the timer store need only the lock helpers and wakers, nothing of
//! the driver, the context or the executors; the driver needs nothing of the testing helpers.
//!
//! `cargo test -p runtime-reference --test layers -- --nocapture` prints the import graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Module name -> the modules its non-test code names as `crate::...`.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The code of a source file without its `#[cfg(test)] mod tests` block (tests may use
/// anything) and without comment lines (a doc link is not an import).
fn code_outside_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line == "#[cfg(test)]" && lines.peek().is_some_and(|l| l.starts_with("mod tests")) {
            break;
        }
        if !line.trim_start().starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn imports(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(at, pat)| {
            code[at + pat.len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in [src.clone(), src.join("sync")] {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut graph = Graph::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        // A file in a folder belongs to the module named by the folder (`sync/mpsc.rs` is
        // part of `sync`); `lib.rs` only declares the modules.
        let module = match rel.components().count() {
            1 => rel.file_stem().unwrap().to_str().unwrap().to_string(),
            _ => rel.iter().next().unwrap().to_str().unwrap().to_string(),
        };
        if module == "lib" {
            continue;
        }
        let code = code_outside_tests(&fs::read_to_string(&path).unwrap());
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(imports(&code).into_iter().filter(|m| *m != module));
    }
    graph
}

/// A loop in `graph`, as the modules along it, if there is one.
fn find_loop(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        module: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut ring = path[start..].to_vec();
            ring.push(module.to_string());
            return Some(ring);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(ring) = visit(graph, next, path, done) {
                return Some(ring);
            }
        }
        path.pop();
        done.insert(module.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(graph, m, &mut Vec::new(), &mut done))
}

fn show(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, deps)| {
            let deps: Vec<_> = deps.iter().map(String::as_str).collect();
            format!("{m:<9}-> {}\n", deps.join(" "))
        })
        .collect()
}

#[test]
fn no_module_imports_itself_through_others() {
    let graph = graph();
    println!("{}", show(&graph));
    if let Some(ring) = find_loop(&graph) {
        panic!(
            "import loop: {}\n\nthe graph:\n{}",
            ring.join(" -> "),
            show(&graph)
        );
    }
}

#[test]
fn the_reactor_and_the_timer_store_stand_alone() {
    let graph = graph();
    for module in ["reactor", "timer"] {
        let deps = &graph[module];
        assert!(
            deps.iter().all(|d| d == "lock" || d == "waker"),
            "{module} must need nothing of the runtime around it, but imports {deps:?}"
        );
    }
}

#[test]
fn the_driver_does_not_depend_on_the_testing_helpers() {
    let deps = &graph()["driver"];
    assert!(
        !deps.contains("testing"),
        "the driver reads time through time::Clock, not testing::TestClock: {deps:?}"
    );
}

#[test]
fn the_graph_reader_sees_a_loop_and_skips_tests_and_comments() {
    let code = "use crate::a;\n/// [`crate::b`]\nfn f() { crate::c::g() }\n\
                #[cfg(test)]\nmod tests {\n    use crate::d;\n}\n";
    let found = imports(&code_outside_tests(code));
    assert_eq!(found, BTreeSet::from(["a".to_string(), "c".to_string()]));

    let ring: Graph = [("x", "y"), ("y", "z"), ("z", "x")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), BTreeSet::from([b.to_string()])))
        .collect();
    assert!(find_loop(&ring).is_some());
    let line: Graph = [("x", "y"), ("y", "z")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), BTreeSet::from([b.to_string()])))
        .collect();
    assert_eq!(find_loop(&line), None);
}
