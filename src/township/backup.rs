//! Backups of a township on SQLite, and putting one back (PostgreSQL has its own tools,
//! see the README). A backup is taken online: each database is copied with `VACUUM
//! INTO` inside a read transaction, so it is consistent while `serve` keeps writing.
//! After a restore every village's feed gets a new generation, and each kiosk's next
//! round finds out, sends again what the township lost and pulls what it missed.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Result, SqliteTownship, TownshipError, TownshipStorage};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub villages: usize,
}

/// The file `serve` keeps locked while it runs.
fn lock_path(db: &Path) -> PathBuf {
    db.with_extension("serve.lock")
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> TownshipError + 'a {
    move |e| TownshipError::Invalid(format!("cannot {action} {}: {e}", path.display()))
}

impl SqliteTownship {
    /// Copies the registry, the township key and every village (database and keys)
    /// into `out`, which must not exist yet.
    pub fn backup(&self, out: &Path) -> Result<BackupReport> {
        if out.exists() {
            return Err(TownshipError::Invalid(format!(
                "{} exists already; name a new folder for the backup",
                out.display()
            )));
        }
        let villages_out = out.join(self.villages_dir_name());
        fs::create_dir_all(&villages_out).map_err(io("create", &villages_out))?;
        self.backup_registry(&out.join(self.db_file_name()))?;
        let key = self.key_path();
        if key.exists() {
            let to = out.join(key.file_name().unwrap_or_default());
            fs::copy(&key, &to).map_err(io("copy", &key))?;
        }
        let villages = self.villages()?;
        for v in &villages {
            let dir = villages_out.join(&v.code);
            fs::create_dir_all(dir.join("keys")).map_err(io("create", &dir))?;
            self.backup_village(&v.code, &dir)?;
        }
        Ok(BackupReport {
            villages: villages.len(),
        })
    }

    /// Puts the backup in `from` in place of the township at `db` (whose files are moved
    /// aside, not deleted), then renews every village's feed generation. Refused while a
    /// server is running on `db`. Returns where the old files went.
    pub fn restore(from: &Path, db: &Path) -> Result<PathBuf> {
        let name = db
            .file_name()
            .ok_or_else(|| TownshipError::Invalid(format!("{} is not a database file", db.display())))?;
        let villages_name = db.with_extension("villages");
        let villages_name = villages_name.file_name().unwrap_or_default();
        if !from.join(name).exists() {
            return Err(TownshipError::Invalid(format!(
                "{} holds no {} — not a backup of this township",
                from.display(),
                name.to_string_lossy()
            )));
        }
        let _lock = take_lock(db)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f");
        let mut aside = db.with_extension(format!("before-restore-{stamp}"));
        while aside.exists() {
            aside = db.with_extension(format!("before-restore-{stamp}-{}", uuid::Uuid::now_v7().simple()));
        }
        fs::create_dir_all(&aside).map_err(io("create", &aside))?;
        let mut moved = vec![db.to_path_buf(), db.with_extension("villages")];
        for suffix in ["sqlite3-wal", "sqlite3-shm"] {
            moved.push(db.with_extension(suffix));
        }
        for path in moved.iter().filter(|p| p.exists()) {
            let to = aside.join(path.file_name().unwrap_or_default());
            fs::rename(path, &to).map_err(io("move aside", path))?;
        }
        copy_tree(&from.join(name), db)?;
        copy_tree(&from.join(villages_name), &db.with_extension("villages"))?;
        let key = db.with_extension("township.key");
        let key_backup = from.join(key.file_name().unwrap_or_default());
        if key_backup.exists() && !key.exists() {
            fs::copy(&key_backup, &key).map_err(io("copy", &key_backup))?;
        }
        let township = SqliteTownship::open(db, std::sync::Arc::new(crate::domain::clock::SystemClock))?;
        township.mark_restored()?;
        Ok(aside)
    }

    /// Held by `serve` for as long as it runs, so a restore cannot pull the files from
    /// under it.
    pub fn serving_lock(&self) -> Result<ServingLock> {
        take_lock(&self.db)
    }

    fn db_file_name(&self) -> std::ffi::OsString {
        self.db.file_name().unwrap_or_default().to_os_string()
    }

    fn villages_dir_name(&self) -> std::ffi::OsString {
        self.villages_dir.file_name().unwrap_or_default().to_os_string()
    }
}

/// An exclusive lock on the township's files.
pub struct ServingLock {
    _file: nix::fcntl::Flock<fs::File>,
}

fn take_lock(db: &Path) -> Result<ServingLock> {
    let path = lock_path(db);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io("open", &path))?;
    let file = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(|_| {
        TownshipError::Invalid(format!(
            "the township server is running on {}; stop it first (systemctl stop jifen-township)",
            db.display()
        ))
    })?;
    Ok(ServingLock { _file: file })
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to).map_err(io("create", to))?;
        for entry in fs::read_dir(from).map_err(io("read", from))? {
            let entry = entry.map_err(io("read", from))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to).map_err(io("copy", from)).map(|_| ())
    }
}
