//! Command output on standard output. A reader that stops early (`pingyi results … | head`)
//! closes the pipe; `println!` would then panic, so commands print through [`outln!`], which
//! ends the program quietly instead, as `head` expects of the programs it reads.

use std::io::{ErrorKind, Write};
use std::process;

/// Writes one line to standard output; see the module comment for a closed pipe. Any other
/// write error (a full disk behind a redirect) ends the program with a message and code 1.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::BrokenPipe => process::exit(0),
        Err(e) => {
            eprintln!("错误 error: 无法输出 cannot write to standard output: {e}");
            process::exit(1);
        }
    }
}

/// `println!` for command output: the same arguments, a closed pipe ends the program quietly.
macro_rules! outln {
    () => {
        $crate::cli::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;
