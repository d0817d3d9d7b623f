//! Bounded capture of a process's output: the head and the tail are kept, the middle is dropped
//! and counted, so a test that prints a million lines cannot flood the terminal or the memory.

use std::collections::VecDeque;

pub const DEFAULT_HEAD: usize = 24 * 1024;
pub const DEFAULT_TAIL: usize = 24 * 1024;

#[derive(Debug)]
pub struct CappedOutput {
    head: Vec<u8>,
    head_limit: usize,
    tail: VecDeque<u8>,
    tail_limit: usize,
    dropped_bytes: usize,
    dropped_lines: usize,
}

impl Default for CappedOutput {
    fn default() -> Self {
        CappedOutput::new(DEFAULT_HEAD, DEFAULT_TAIL)
    }
}

impl CappedOutput {
    pub fn new(head_limit: usize, tail_limit: usize) -> Self {
        CappedOutput {
            head: Vec::new(),
            head_limit,
            tail: VecDeque::new(),
            tail_limit,
            dropped_bytes: 0,
            dropped_lines: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        if self.head.len() < self.head_limit {
            let take = bytes.len().min(self.head_limit - self.head.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        self.tail.extend(bytes);
        while self.tail.len() > self.tail_limit {
            let excess = self.tail.len() - self.tail_limit;
            for byte in self.tail.drain(..excess) {
                self.dropped_lines += usize::from(byte == b'\n');
            }
            self.dropped_bytes += excess;
        }
    }

    #[cfg(test)]
    pub fn dropped_bytes(&self) -> usize {
        self.dropped_bytes
    }

    /// The kept text. When something was dropped the cut is moved to line boundaries and marked
    /// with how much is missing.
    pub fn render(&self) -> String {
        let head = String::from_utf8_lossy(&self.head);
        let tail_bytes: Vec<u8> = self.tail.iter().copied().collect();
        let tail = String::from_utf8_lossy(&tail_bytes);
        if self.dropped_bytes == 0 {
            return format!("{head}{tail}");
        }
        // Cut whole lines only: a half line at either edge joins the dropped part.
        let head_cut = head.rfind('\n').map_or(0, |i| i + 1);
        let tail_cut = tail.find('\n').map_or(tail.len(), |i| i + 1);
        let lines = self.dropped_lines + head[head_cut..].matches('\n').count();
        let bytes = self.dropped_bytes + (head.len() - head_cut) + tail_cut;
        format!(
            "{}\n... {} lines ({} bytes) of output cut here; the first and last parts are shown ...\n\n{}",
            &head[..head_cut],
            lines.max(1),
            bytes,
            &tail[tail_cut..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_output_is_kept_whole() {
        let mut c = CappedOutput::new(10, 10);
        c.push(b"abc\n");
        c.push(b"def\n");
        assert_eq!(c.render(), "abc\ndef\n");
    }

    #[test]
    fn large_output_keeps_head_and_tail_and_counts_the_rest() {
        let mut c = CappedOutput::new(20, 20);
        for i in 0..1000 {
            c.push(format!("line {i:04}\n").as_bytes());
        }
        let text = c.render();
        assert!(text.starts_with("line 0000\nline 0001\n"), "{text}");
        assert!(text.ends_with("line 0999\n"), "{text}");
        assert!(text.contains("cut here"), "{text}");
        assert!(text.len() < 200, "{text}");
        assert!(c.dropped_bytes() > 9000);
    }
}
