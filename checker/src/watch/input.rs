//! Input: the thread that reads the terminal, and what each key does. Key handling returns a
//! `Flow` that says whether watch goes on or ends.

use std::sync::mpsc::Sender;
use std::thread;
use std::time::Duration;

use anyhow::Result;
use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind};
use crossterm::{cursor, execute, terminal};

use super::{Confirm, Event, Filter, Mode, Until, Watch};

/// How often the input thread sends a `Tick` while no key comes (a running check's clock).
const TICK: Duration = Duration::from_millis(250);

/// What the event loop does after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// Keys and resizes from the terminal; a tick while nothing happens keeps the clock moving.
pub fn spawn_input(tx: Sender<Event>) {
    thread::spawn(move || {
        loop {
            let sent = match event::poll(TICK) {
                Ok(true) => match event::read() {
                    Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                        tx.send(Event::Key(k))
                    }
                    Ok(TermEvent::Resize(..)) => tx.send(Event::Redraw),
                    Ok(_) => Ok(()),
                    Err(_) => return,
                },
                Ok(false) => tx.send(Event::Tick),
                Err(_) => return,
            };
            if sent.is_err() {
                return;
            }
        }
    });
}

impl Watch<'_> {
    /// Handles one key: what the loop does next.
    pub(super) fn key(&mut self, k: KeyEvent) -> Result<Flow> {
        if let Some(confirm) = self.view.confirm.take() {
            if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                let index = match confirm {
                    Confirm::ResetCurrent => self.current,
                    Confirm::ResetListed(i) => i,
                };
                self.reset(index)?;
            }
            return Ok(Flow::Continue);
        }
        if let Mode::List { .. } = self.view.mode {
            return self.list_key(k);
        }
        if let Mode::CheckingAll { .. } = self.view.mode {
            if k.code == KeyCode::Char('q') {
                return Ok(Flow::Quit);
            }
            if !matches!(k.code, KeyCode::Char('n' | 'r' | 'x' | 'c') | KeyCode::Esc) {
                return Ok(Flow::Continue);
            }
            self.stop_check_all();
        }
        if let Mode::Whole = self.view.mode {
            // Back from the whole output to the watch screen.
            execute!(
                std::io::stdout(),
                terminal::EnterAlternateScreen,
                cursor::Hide
            )?;
            self.view.mode = Mode::Main;
            return Ok(Flow::Continue);
        }
        let page = self.view.page.max(2) - 1;
        match k.code {
            KeyCode::Char('q') => return Ok(Flow::Quit),
            KeyCode::Char('n') => {
                if self.is_passed() {
                    self.next();
                } else {
                    self.forget(&[Until::Verdict]);
                    self.say((
                        Until::Verdict,
                        format!(
                            "{} is not done yet: make it pass first (h shows a hint).",
                            self.exercise().name
                        ),
                    ));
                }
            }
            KeyCode::Char('h') => self.hint(),
            KeyCode::Up | KeyCode::Char('k') => {
                self.view.scroll = self.view.scroll.saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') => self.view.scroll += 1,
            KeyCode::PageUp => self.view.scroll = self.view.scroll.saturating_sub(page),
            KeyCode::PageDown | KeyCode::Char(' ') => self.view.scroll += page,
            KeyCode::Home => self.view.scroll = 0,
            KeyCode::Char('b') => self.view.full_backtrace = !self.view.full_backtrace,
            KeyCode::Char('o') => self.show_whole()?,
            KeyCode::Char('r') => self.request_check(),
            KeyCode::Char('x') => self.view.confirm = Some(Confirm::ResetCurrent),
            KeyCode::Char('l') => {
                self.view.mode = Mode::List {
                    cursor: self.current,
                    filter: Filter::All,
                }
            }
            KeyCode::Char('c') => self.check_all(),
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn list_key(&mut self, k: KeyEvent) -> Result<Flow> {
        let rows = self.list_indices();
        let Mode::List { cursor, filter } = &mut self.view.mode else {
            return Ok(Flow::Continue);
        };
        let pos = rows.iter().position(|&i| i == *cursor).unwrap_or(0);
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => {
                *cursor = rows.get(pos.saturating_sub(1)).copied().unwrap_or(*cursor)
            }
            KeyCode::Down | KeyCode::Char('j') => {
                *cursor = rows.get(pos + 1).copied().unwrap_or(*cursor)
            }
            KeyCode::Char('d') => *filter = Filter::Done,
            KeyCode::Char('p') => *filter = Filter::Pending,
            KeyCode::Char('a') => *filter = Filter::All,
            KeyCode::Char('r') => {
                if let Some(&i) = rows.get(pos) {
                    self.view.confirm = Some(Confirm::ResetListed(i));
                }
            }
            KeyCode::Enter => {
                if let Some(&i) = rows.get(pos) {
                    self.view.mode = Mode::Main;
                    self.go_to(i);
                }
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('l') | KeyCode::Backspace => {
                self.view.mode = Mode::Main
            }
            _ => {}
        }
        // Keep the cursor on a row the filter shows.
        let rows = self.list_indices();
        if let Mode::List { cursor, .. } = &mut self.view.mode
            && !rows.contains(cursor)
            && let Some(&first) = rows.first()
        {
            *cursor = first;
        }
        Ok(Flow::Continue)
    }
}
