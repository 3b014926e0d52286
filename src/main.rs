//! The `jifen` binary: kiosk, admin CLI (and, later, township server) in one.

use std::process::ExitCode;

fn main() -> ExitCode {
    match jifen::cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
