// wrong answer: current_addr takes the address of a local copy of the (Copy) array, not of the cursor's own data; `pointer_left_behind_by_a_move_to_the_heap_is_rejected` catches it.
// pinning1: a struct that points into itself
//
// `Cursor` walks over its own bytes. The shipped version remembers its place as a pointer into
// its own `data` field. But Rust moves values freely (returning from `new`, `Box::new`, pushing
// into a `Vec`), and a move copies the bytes to a new address: the pointer still points at the
// old place. Run the tests and watch them find the stale pointer.
//
// Fix: store the position as an index into `data` instead of a pointer, and compute the
// address only when asked. An index means the same thing wherever the struct lives.

struct Cursor {
    data: [u8; 8],
    /// Index of the current byte in `data`; `data.len()` once past the end.
    pos: usize,
}

impl Cursor {
    fn new(data: [u8; 8]) -> Self {
        Cursor { data, pos: 0 }
    }

    /// Moves to the next byte; stays put once past the end.
    fn advance(&mut self) {
        if self.pos < self.data.len() {
            self.pos += 1;
        }
    }

    /// The current byte, or `None` once past the end.
    fn current(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The address of the current byte (one past the end once past the end).
    fn current_addr(&self) -> *const u8 {
        let data = self.data;
        data.as_ptr().wrapping_add(self.pos)
    }
}

fn main() {
    let mut cursor = Cursor::new(*b"asyncrs!");
    cursor.advance();
    let moved = Box::new(cursor);
    println!(
        "after a move the cursor reads {:?}",
        moved.current().map(char::from)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(cursor: &Cursor, index: usize) -> *const u8 {
        cursor.data.as_ptr().wrapping_add(index)
    }

    #[test]
    fn pointer_left_behind_by_a_move_to_the_heap_is_rejected() {
        let mut cursor = Cursor::new(*b"abcdefgh");
        cursor.advance();
        cursor.advance();
        let boxed = Box::new(cursor);
        assert_eq!(
            boxed.current_addr(),
            at(&boxed, 2),
            "after the move the cursor points outside its own data: a stale pointer"
        );
        assert_eq!(boxed.current(), Some(b'c'));
    }

    #[test]
    fn pointer_left_behind_by_a_growing_vec_is_rejected() {
        let mut cursor = Cursor::new(*b"abcdefgh");
        cursor.advance();
        let mut all = vec![cursor];
        // Growing the Vec reallocates it: the first Cursor moves again, maybe many times.
        for _ in 0..64 {
            all.push(Cursor::new(*b"zzzzzzzz"));
        }
        all[0].advance();
        assert_eq!(all[0].current_addr(), at(&all[0], 2));
        assert_eq!(all[0].current(), Some(b'c'));
        all[0].data[2] = b'C';
        assert_eq!(
            all[0].current(),
            Some(b'C'),
            "the cursor must read its own data, not an old copy of it"
        );
    }

    #[test]
    fn walking_past_the_end_is_none() {
        let mut cursor = Cursor::new(*b"12345678");
        for expected in b"12345678" {
            assert_eq!(cursor.current(), Some(*expected));
            cursor.advance();
        }
        assert_eq!(cursor.current(), None);
        cursor.advance();
        assert_eq!(
            cursor.current(),
            None,
            "advancing past the end must stay at the end"
        );
    }
}
