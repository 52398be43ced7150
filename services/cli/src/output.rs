//! Standard output in a pipeline: when the reader goes away (`ogi status | head`,
//! `ogi show … | head -1`) ogi stops quietly, as `cat` does, instead of panicking with a
//! backtrace. The crate's `println!` and `print!` (defined in main.rs) write through here.

use std::io::{ErrorKind, Write};

/// Write to standard output; a closed pipe ends the program (exit code 0), another write
/// error ends it with the error (exit code 2).
pub fn write(args: std::fmt::Arguments<'_>) {
    if let Err(error) = std::io::stdout().lock().write_fmt(args) {
        stop(&error)
    }
}

/// Whether an error is, somewhere in its chain, a write to a closed pipe.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
    })
}

fn stop(error: &std::io::Error) -> ! {
    if error.kind() == ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    let _ = writeln!(std::io::stderr(), "错误：无法写入标准输出：{error}");
    std::process::exit(2);
}
