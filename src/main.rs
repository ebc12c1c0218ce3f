use std::process::ExitCode;

fn main() -> ExitCode {
    pingyi::cli::main()
}
