//! What every bench needs and none owns: a scratch folder removed afterwards, medians
//! and 99th percentiles, and synthetic ID numbers with valid check characters.

use std::time::Duration;

use anyhow::Context;

use crate::domain::id_number::check_character;

pub(super) fn median_p99(samples: &mut [Duration]) -> (u128, u128) {
    if samples.is_empty() {
        return (0, 0);
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_micros();
    (at(0.5), at(0.99))
}

/// Synthetic ID numbers with valid check characters, one per benchmark household.
pub(super) fn bench_id_number(h: usize) -> String {
    let body = format!(
        "330483{:04}{:02}{:02}{:03}",
        1940 + h % 60,
        h % 12 + 1,
        h % 28 + 1,
        h % 1000
    );
    format!("{body}{}", check_character(&body).unwrap_or('0'))
}

/// A temporary directory removed on drop (the benchmark leaves nothing behind).
pub(super) struct TempDir(pub(super) std::path::PathBuf);

impl TempDir {
    pub(super) fn new() -> anyhow::Result<TempDir> {
        TempDir::under(&std::env::temp_dir())
    }

    /// In memory (`/dev/shm`) where the machine has it: for the simulated kiosks of a load
    /// test, which in the field are boxes with disks of their own. On the township's disk,
    /// their commits' syncs would be part of what is measured.
    pub(super) fn in_memory() -> anyhow::Result<TempDir> {
        let shm = std::path::Path::new("/dev/shm");
        if shm.is_dir() {
            if let Ok(dir) = TempDir::under(shm) {
                return Ok(dir);
            }
        }
        TempDir::new()
    }

    fn under(parent: &std::path::Path) -> anyhow::Result<TempDir> {
        let p = parent.join(format!("jifen-bench-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&p).with_context(|| format!("cannot create {}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
