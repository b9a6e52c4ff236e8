//! Standard output where a closed reader is a quiet end, not a panic.
//!
//! Rust ignores `SIGPIPE`, so writing to a closed pipe (`starvation merge … | head -c0`) returns
//! `BrokenPipe` and `println!` panics. A [`Report`] treats `BrokenPipe` as "nobody is reading":
//! it stops writing, returns `Ok`, and the command goes on to finish its files and exit with its
//! usual status. Any other failure (e.g. a full disk behind a redirection) is an
//! [`Error::Io`] naming standard output.
//!
//! Wiring in `main.rs`: create one `Report::stdout()` per command and replace every
//! `println!(…)` by `writeln!(report, …)?` (the inherent `write_fmt` below makes the macro return
//! this module's `Result`), and every `eprintln!` by [`to_stderr`]. Write files before reporting
//! them.

use std::fmt::{Arguments, Display};
use std::io::{ErrorKind, Write};

use crate::error::Error;

/// A line-oriented writer for a command's report.
#[derive(Debug)]
pub struct Report<W: Write = std::io::Stdout> {
    out: W,
    closed: bool,
}

impl Report<std::io::Stdout> {
    /// A report on standard output.
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

impl<W: Write> Report<W> {
    /// A report on `out`.
    pub fn new(out: W) -> Self {
        Self { out, closed: false }
    }

    /// Writes `text` and a newline.
    pub fn line(&mut self, text: impl Display) -> Result<(), Error> {
        self.write_fmt(format_args!("{text}\n"))
    }

    /// Writes formatted text (what `write!`/`writeln!` call) and flushes it.
    pub fn write_fmt(&mut self, args: Arguments<'_>) -> Result<(), Error> {
        if self.closed {
            return Ok(());
        }
        let written = self.out.write_fmt(args).and_then(|()| self.out.flush());
        match written {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(Error::Io {
                path: "standard output".into(),
                message: e.to_string(),
            }),
        }
    }

    /// Whether the reader has gone (later writes are dropped); a command may stop reporting.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Writes one line to standard error; a failure is ignored (there is nowhere left to say it).
pub fn to_stderr(text: impl Display) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `capacity` bytes, then fails with `kind`.
    struct Failing {
        kept: Vec<u8>,
        capacity: usize,
        kind: ErrorKind,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.kept.len() >= self.capacity {
                return Err(std::io::Error::from(self.kind));
            }
            let n = buf.len().min(self.capacity - self.kept.len());
            self.kept.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_with_newlines() {
        let mut r = Report::new(Vec::new());
        r.line("a").unwrap();
        writeln!(r, "b = {}", 2).unwrap();
        assert_eq!(r.into_inner(), b"a\nb = 2\n");
    }

    #[test]
    fn a_broken_pipe_is_quiet_and_closes_the_report() {
        let mut r = Report::new(Failing {
            kept: Vec::new(),
            capacity: 4,
            kind: ErrorKind::BrokenPipe,
        });
        r.line("ab").unwrap();
        assert!(!r.is_closed());
        r.line("cd").unwrap();
        assert!(r.is_closed());
        r.line("ef").unwrap();
        assert_eq!(r.into_inner().kept, b"ab\nc");
    }

    #[test]
    fn other_failures_are_errors_naming_standard_output() {
        let mut r = Report::new(Failing {
            kept: Vec::new(),
            capacity: 0,
            kind: ErrorKind::StorageFull,
        });
        let e = r.line("x").unwrap_err();
        assert!(e.to_string().starts_with("standard output:"), "{e}");
    }
}
