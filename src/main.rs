//! The `jifen` binary: kiosk, admin CLI, township server and, in builds with the `bench`
//! feature, `jifen bench`, which is handed its arguments here so that no front end
//! imports the benchmarks.

use std::process::ExitCode;

fn main() -> ExitCode {
    let result = match bench_arguments() {
        Some(args) => run_bench(args),
        None => jifen::cli::run(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The command line's options that may stand before any command (`jifen --data-dir D
/// bench` is still `bench`); each takes a value.
const GLOBAL_OPTIONS: [&str; 3] = ["--data-dir", "--config", "--printer"];

/// The arguments from `bench` on, when the command is `bench`.
fn bench_arguments() -> Option<Vec<std::ffi::OsString>> {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let mut i = 0;
    while let Some(arg) = args.get(i).and_then(|a| a.to_str()) {
        if GLOBAL_OPTIONS.contains(&arg) {
            i += 2;
        } else if GLOBAL_OPTIONS
            .iter()
            .any(|g| arg.strip_prefix(g).is_some_and(|v| v.starts_with('=')))
        {
            i += 1;
        } else {
            break;
        }
    }
    args.get(i).is_some_and(|a| a == "bench").then(|| args[i..].to_vec())
}

#[cfg(feature = "bench")]
fn run_bench(args: Vec<std::ffi::OsString>) -> anyhow::Result<ExitCode> {
    jifen::bench::run_from(args)
}

#[cfg(not(feature = "bench"))]
fn run_bench(_: Vec<std::ffi::OsString>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this jifen was built without `jifen bench` (the `bench` feature)")
}
