//! The data directory of one installation: the database, the installation's secrets,
//! and where printer previews go. Also the TOML config file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use rand::RngCore;
use serde::Deserialize;

/// The installation's secrets, kept in files beside (not inside) the database, so a
/// copied database alone reveals neither ID numbers nor the power to sign vouchers.
pub struct Keys {
    /// HMAC key for resident ID numbers (DESIGN.md §5.7).
    pub id_number_secret: [u8; 32],
    /// Signs voucher QR payloads (DESIGN.md §5.5).
    pub voucher_signing: SigningKey,
    /// Signs every request to the township; its public half is registered there.
    pub device_signing: SigningKey,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallationError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key file {0} is damaged (expected 64 hex characters)")]
    BadKeyFile(PathBuf),
    #[error("config file {path}: {message}")]
    BadConfig { path: PathBuf, message: String },
}

const DEVICE_KEY: &str = "device.key";

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

/// The config file (`--config`, `/etc/jifen/jifen.toml` on the appliance).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub printer: PrinterConfig,
    pub devices: DevicesConfig,
    pub sync: SyncConfig,
    pub voice: crate::voice::VoiceConfig,
    /// `[honours]`: who the year's star households are (一年一评比).
    pub honours: crate::domain::honours::HonoursRule,
    /// `[proxy]`: who takes 代兑换 goods to households.
    pub proxy: ProxyConfig,
}

/// `[proxy]`: 代兑换 (送奖上门).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// The names a clerk may pick on the touch screen as who delivers (the village's grid
    /// workers); the clerk in session is always offered first.
    pub deliverers: Vec<String>,
}

/// `[sync]`: where the township server is and how often to talk to it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// e.g. `https://jifen.tongxiang.example/`; no sync when not set.
    pub url: Option<String>,
    /// Seconds between rounds while all is well (default 60).
    pub interval_secs: Option<u64>,
    /// The township's public key (`jifen township key show`), given at enrolment: answers
    /// not signed with it are refused. Remembered after the first round.
    pub township_key: Option<String>,
    /// Allow `http://` to a host other than this machine (a township on a closed network);
    /// otherwise only `https://` goes beyond loopback.
    pub allow_plain_http: bool,
    /// Megabytes of evidence photos the kiosk keeps (default 64, about 200 photos); older
    /// ones are fetched again when a villager opens their entry.
    pub photo_cache_mb: Option<u64>,
}

impl SyncConfig {
    /// `photo_cache_mb` in bytes, when set.
    pub fn photo_cache_bytes(&self) -> Option<i64> {
        self.photo_cache_mb
            .map(|mb| i64::try_from(mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX))
    }
}

/// `[devices]`: serial paths of the input devices (stable udev names on the appliance).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevicesConfig {
    /// GA/T 467 ID card reader, e.g. `/dev/jifen-idcard`.
    pub idcard: Option<PathBuf>,
    /// Serial QR scanner, e.g. `/dev/jifen-qr`.
    pub qr: Option<PathBuf>,
    /// Baud rate of the serial QR scanner (default 9600).
    pub qr_baud: Option<u32>,
    /// Where the card reader stands, seen from the villager: `left` of the QR scanner (the
    /// default) or `right`. The home screen draws the two in that order.
    pub reader_side: Option<ReaderSide>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReaderSide {
    Left,
    Right,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrinterConfig {
    /// `usb:/dev/usb/lp0`, `serial:/dev/ttyUSB0?baud=9600`, `tcp://host:9100`, `preview:DIR`;
    /// previews in the data dir when not set.
    pub url: Option<String>,
    /// `raster` (default; Chinese on any printer) or `text` (GB18030, for slow serial printers).
    pub mode: Option<String>,
    /// Printable dots: 384 (58 mm paper, default) or 576 (80 mm).
    pub width: Option<u32>,
    /// A folder of the clerk's own templates; the shipped ones stand in for missing files.
    pub templates: Option<PathBuf>,
}

impl DataDir {
    /// `--data-dir`, else `$JIFEN_DATA_DIR` (handled by clap), else the XDG data dir.
    pub fn resolve(explicit: Option<PathBuf>) -> DataDir {
        let root = explicit.unwrap_or_else(|| {
            let base = std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
                .unwrap_or_else(|| PathBuf::from("."));
            base.join("jifen")
        });
        DataDir { root }
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("jifen.sqlite3")
    }

    pub fn previews(&self) -> PathBuf {
        self.root.join("previews")
    }

    fn key_path(&self, name: &str) -> PathBuf {
        self.root.join("keys").join(name)
    }

    pub fn exists(&self) -> bool {
        self.database().exists()
    }

    /// Creates the directory and fresh secrets. Existing key files are kept: replacing
    /// them would orphan every stored ID hash and every voucher in circulation.
    pub fn create(&self) -> Result<Keys, InstallationError> {
        let keys_dir = self.root.join("keys");
        fs::create_dir_all(&keys_dir).map_err(|source| InstallationError::Io {
            action: "create",
            path: keys_dir.clone(),
            source,
        })?;
        for name in ["id-number.key", "voucher-signing.key", DEVICE_KEY] {
            self.ensure_key(name)?;
        }
        sync_dir(&keys_dir)?;
        self.load_keys()
    }

    pub fn load_keys(&self) -> Result<Keys, InstallationError> {
        // Installations made before sync existed get their device key on first use.
        self.ensure_key(DEVICE_KEY)?;
        Ok(Keys {
            id_number_secret: read_key(&self.key_path("id-number.key"))?,
            voucher_signing: SigningKey::from_bytes(&read_key(&self.key_path("voucher-signing.key"))?),
            device_signing: SigningKey::from_bytes(&read_key(&self.key_path(DEVICE_KEY))?),
        })
    }

    /// The file holding the ID-number key (the township serves its village's key; an
    /// operator may copy a kiosk's to `jifen township village add --id-key-file`).
    pub fn id_number_key_path(&self) -> PathBuf {
        self.key_path("id-number.key")
    }

    /// Replaces the ID-number key with the township's, for a kiosk that has registered
    /// nobody yet (every stored hash would be orphaned otherwise; the caller checks).
    /// The new file is written beside the old, synced, renamed over it, and the folder is
    /// synced, so a power cut leaves one whole key, never half of one.
    pub fn replace_id_number_key(&self, key: &[u8; 32]) -> Result<(), InstallationError> {
        let path = self.key_path("id-number.key");
        let tmp = self.key_path("id-number.key.new");
        let _ = fs::remove_file(&tmp);
        write_secret(&tmp, &hex::encode(key))?;
        fs::rename(&tmp, &path).map_err(|source| InstallationError::Io {
            action: "replace",
            path,
            source,
        })?;
        sync_dir(&self.root.join("keys"))
    }

    /// When the ID-number key file last changed (None if it cannot be read): a running
    /// kiosk compares it before hashing a card, and re-reads the key when it moved.
    pub fn id_number_key_stamp(&self) -> Option<std::time::SystemTime> {
        fs::metadata(self.key_path("id-number.key"))
            .and_then(|m| m.modified())
            .ok()
    }

    fn ensure_key(&self, name: &str) -> Result<(), InstallationError> {
        let path = self.key_path(name);
        if !path.exists() {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            write_secret(&path, &hex::encode(bytes))?;
        }
        Ok(())
    }
}

impl Config {
    /// Reads the config file; a missing default file is an empty config, a missing
    /// explicitly named file is an error.
    pub fn load(path: Option<&Path>) -> Result<Config, InstallationError> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("/etc/jifen/jifen.toml"), false),
        };
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Config::default()),
            Err(source) => {
                return Err(InstallationError::Io {
                    action: "read",
                    path,
                    source,
                })
            }
        };
        toml::from_str(&text).map_err(|e| InstallationError::BadConfig {
            path,
            message: e.message().to_string(),
        })
    }
}

fn write_secret(path: &Path, text: &str) -> Result<(), InstallationError> {
    let io = |source| InstallationError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// A 32-byte secret kept in a file of its own (mode 0600), made on first use: the
/// township's signing key, beside its registry database.
pub fn load_or_create_secret(path: &Path) -> Result<[u8; 32], InstallationError> {
    if !path.exists() {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        write_secret(path, &hex::encode(bytes))?;
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(dir)?;
        }
    }
    read_key(path)
}

/// Makes a folder's new or renamed entries durable (a key file must survive a power cut
/// as surely as the database that depends on it).
fn sync_dir(dir: &Path) -> Result<(), InstallationError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| InstallationError::Io {
            action: "sync",
            path: dir.to_path_buf(),
            source,
        })
}

fn read_key(path: &Path) -> Result<[u8; 32], InstallationError> {
    let text = fs::read_to_string(path).map_err(|source| InstallationError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let bytes = hex::decode(text.trim()).map_err(|_| InstallationError::BadKeyFile(path.to_path_buf()))?;
    bytes
        .try_into()
        .map_err(|_| InstallationError::BadKeyFile(path.to_path_buf()))
}
