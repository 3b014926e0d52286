//! The township web console's accounts (DESIGN.md §12, issue 18): who may sign in, as
//! what, and for which village, grid or shop; Argon2id passwords; a lockout after repeated
//! failures, kept in the database; sessions found by the SHA-256 of their cookie; the
//! audit log. Every decision is here, for both engines and every page; the pages only ask.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Result, TownshipError, TownshipStorage};
use crate::store::{AuditRow, ConsoleDraftRow, ConsoleSessionRow, ConsoleUserRow, DraftPhoto};

/// Wrong passwords in a row before the account locks.
pub const LOCK_AFTER: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// How long a session lasts from sign-in (a working day).
pub const SESSION_HOURS: i64 = 12;
/// The shortest password taken.
pub const MIN_PASSWORD: usize = 10;

/// The rows behind the console, kept by each engine (`console_engines.rs`).
pub trait ConsoleStorage: Send + Sync {
    /// False when the name is taken.
    fn insert_console_user(&self, u: &ConsoleUserRow) -> Result<bool>;
    fn console_user(&self, name: &str) -> Result<Option<ConsoleUserRow>>;
    fn console_users(&self) -> Result<Vec<ConsoleUserRow>>;
    /// Also ends the account's sessions; false when there is no such account.
    fn deactivate_console_user(&self, name: &str) -> Result<bool>;
    fn set_console_login_state(&self, name: &str, failed: i64, locked_until: Option<DateTime<Utc>>) -> Result<()>;
    fn insert_console_session(&self, token_sha256: &str, s: &ConsoleSessionRow, at: DateTime<Utc>) -> Result<()>;
    fn console_session(&self, token_sha256: &str) -> Result<Option<ConsoleSessionRow>>;
    fn delete_console_session(&self, token_sha256: &str) -> Result<()>;
    fn insert_audit(&self, row: &AuditRow) -> Result<()>;
    /// The newest `limit` lines, newest first.
    fn audit_rows(&self, limit: usize) -> Result<Vec<AuditRow>>;
    /// False when the draft exists and is no longer a draft.
    fn save_console_draft(&self, d: &ConsoleDraftRow, photos: Option<&[DraftPhoto]>) -> Result<bool>;
    fn console_draft(&self, id: &str) -> Result<Option<ConsoleDraftRow>>;
    fn console_drafts(&self, village: &str, month: &str) -> Result<Vec<ConsoleDraftRow>>;
    fn console_draft_photos(&self, id: &str) -> Result<Vec<DraftPhoto>>;
    /// The digests of a draft's photos, without their bytes, for listings.
    fn console_draft_photo_digests(&self, id: &str) -> Result<Vec<String>>;
    /// False when the draft was not in `from`.
    fn set_console_draft_status(&self, id: &str, from: &str, to: &str, problem: Option<&str>) -> Result<bool>;
}

/// What a console user is, and what it is bounded to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// Township staff: every village, reports, the audit log.
    Township,
    /// A village cadre: that village only.
    Cadre { village: String },
    /// A grid worker (网格员): the households of one grid of one village.
    Grid { village: String, grid: String },
    /// A shop: only its own vouchers.
    Merchant { merchant: String },
}

impl Role {
    pub fn key(&self) -> &'static str {
        match self {
            Role::Township => "township",
            Role::Cadre { .. } => "cadre",
            Role::Grid { .. } => "grid",
            Role::Merchant { .. } => "merchant",
        }
    }

    /// Whether pages about `village` are this user's to see.
    pub fn sees_village(&self, village: &str) -> bool {
        match self {
            Role::Township => true,
            Role::Cadre { village: v } | Role::Grid { village: v, .. } => v == village,
            Role::Merchant { .. } => false,
        }
    }

    /// The words a role is shown in.
    pub fn label(&self) -> String {
        match self {
            Role::Township => "乡镇工作人员".into(),
            Role::Cadre { village } => format!("{village} 村干部"),
            Role::Grid { village, grid } => format!("{village} 第 {grid} 网格网格员"),
            Role::Merchant { merchant } => format!("商家 {merchant}"),
        }
    }
}

/// A console account, as pages and the command line show it (never its hash).
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleUser {
    pub name: String,
    #[serde(flatten)]
    pub role: Role,
    pub active: bool,
    pub locked_until: Option<String>,
    pub created_at: String,
}

/// A new account, as `township user add` takes it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: String,
    pub village: Option<String>,
    pub grid: Option<String>,
    pub merchant: Option<String>,
    pub password: String,
}

/// A signed-in session: the cookie's secret (given once, stored only as its digest) and
/// the token every form of the session carries.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub csrf: String,
    pub user: ConsoleUser,
}

/// Why a sign-in was refused, in words for the login page. An unknown name and a wrong
/// password read the same, so the page tells nobody which names exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefused {
    #[error("用户名或密码不对")]
    Wrong,
    #[error("密码错了 {LOCK_AFTER} 次，账号已锁定，请 {until} 以后再试，或请乡镇工作人员帮忙")]
    Locked { until: String },
    #[error("这个账号已停用，请找乡镇工作人员")]
    Inactive,
}

/// Adds an account; its password is kept as an Argon2id hash only.
pub fn add_user(t: &dyn TownshipStorage, new: &NewUser, now: DateTime<Utc>) -> Result<ConsoleUser> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(TownshipError::Invalid("a user's name is 1 to 40 characters".into()));
    }
    if new.password.chars().count() < MIN_PASSWORD {
        return Err(TownshipError::Invalid(format!(
            "a password has at least {MIN_PASSWORD} characters"
        )));
    }
    let opt = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (village, grid, merchant) = (opt(&new.village), opt(&new.grid), opt(&new.merchant));
    let role = role_of(&new.role, village.clone(), grid.clone(), merchant.clone()).map_err(TownshipError::Invalid)?;
    if let Some(v) = &village {
        if t.village(v)?.is_none() {
            return Err(TownshipError::UnknownVillage(v.clone()));
        }
    }
    let hash = Argon2::default()
        .hash_password(new.password.as_bytes(), &SaltString::generate(&mut OsRng))
        .map_err(|e| TownshipError::Invalid(format!("cannot hash the password: {e}")))?
        .to_string();
    let row = ConsoleUserRow {
        name: name.to_string(),
        role: role.key().to_string(),
        village,
        grid,
        merchant,
        password_hash: hash,
        active: true,
        failed_logins: 0,
        locked_until: None,
        created_at: now,
    };
    if !t.console().insert_console_user(&row)? {
        return Err(TownshipError::Invalid(format!("there is a user named {name} already")));
    }
    audit(t, "township", "user_add", &format!("{name}（{}）", role.label()), now)?;
    user_view(row)
}

/// Signs a user in, or refuses with the reason; failures count towards the lockout.
pub fn login(
    t: &dyn TownshipStorage,
    name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Result<SignedIn, LoginRefused>> {
    let store = t.console();
    let Some(row) = store.console_user(name.trim())? else {
        // The same work as a real check, so the time taken tells nothing either.
        let _ = verify_password(dummy_hash(), password);
        audit(t, name.trim(), "login_failed", "没有这个用户", now)?;
        return Ok(Err(LoginRefused::Wrong));
    };
    if !row.active {
        return Ok(Err(LoginRefused::Inactive));
    }
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        return Ok(Err(LoginRefused::Locked {
            until: crate::domain::clock::china_time_text(until),
        }));
    }
    if !verify_password(&row.password_hash, password) {
        let failed = row.failed_logins + 1;
        let locked = (failed >= LOCK_AFTER).then(|| now + Duration::minutes(LOCK_MINUTES));
        store.set_console_login_state(&row.name, if locked.is_some() { 0 } else { failed }, locked)?;
        if let Some(until) = locked {
            audit(
                t,
                &row.name,
                "login_locked",
                &format!("连续 {LOCK_AFTER} 次密码错误"),
                now,
            )?;
            return Ok(Err(LoginRefused::Locked {
                until: crate::domain::clock::china_time_text(until),
            }));
        }
        audit(t, &row.name, "login_failed", &format!("第 {failed} 次密码错误"), now)?;
        return Ok(Err(LoginRefused::Wrong));
    }
    store.set_console_login_state(&row.name, 0, None)?;
    let token = random_hex();
    let csrf = random_hex();
    let session = ConsoleSessionRow {
        user: row.name.clone(),
        csrf: csrf.clone(),
        expires_at: now + Duration::hours(SESSION_HOURS),
    };
    store.insert_console_session(&digest(&token), &session, now)?;
    audit(t, &row.name, "login", "", now)?;
    Ok(Ok(SignedIn {
        token,
        csrf,
        user: user_view(row)?,
    }))
}

/// The user and form token of a live session; `None` for an unknown or expired cookie,
/// or an account deactivated since.
pub fn session(t: &dyn TownshipStorage, token: &str, now: DateTime<Utc>) -> Result<Option<(ConsoleUser, String)>> {
    let store = t.console();
    let Some(s) = store.console_session(&digest(token))? else {
        return Ok(None);
    };
    if s.expires_at <= now {
        store.delete_console_session(&digest(token))?;
        return Ok(None);
    }
    match store.console_user(&s.user)? {
        Some(row) if row.active => Ok(Some((user_view(row)?, s.csrf))),
        _ => Ok(None),
    }
}

pub fn logout(t: &dyn TownshipStorage, token: &str, user: &str, now: DateTime<Utc>) -> Result<()> {
    t.console().delete_console_session(&digest(token))?;
    audit(t, user, "logout", "", now)
}

pub fn users(t: &dyn TownshipStorage) -> Result<Vec<ConsoleUser>> {
    t.console().console_users()?.into_iter().map(user_view).collect()
}

pub fn deactivate(t: &dyn TownshipStorage, name: &str, by: &str, now: DateTime<Utc>) -> Result<()> {
    if !t.console().deactivate_console_user(name.trim())? {
        return Err(TownshipError::Invalid(format!(
            "there is no user named {}",
            name.trim()
        )));
    }
    audit(t, by, "user_deactivate", name.trim(), now)
}

/// Writes one line of the audit log: who, when, what.
pub fn audit(t: &dyn TownshipStorage, user: &str, action: &str, detail: &str, now: DateTime<Utc>) -> Result<()> {
    t.console().insert_audit(&AuditRow {
        at: now,
        user: user.to_string(),
        action: action.to_string(),
        detail: detail.to_string(),
    })
}

/// Whether a form's token is the session's (compared in constant time).
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn role_of(
    role: &str,
    village: Option<String>,
    grid: Option<String>,
    merchant: Option<String>,
) -> Result<Role, String> {
    let need = |v: Option<String>, flag: &str| v.ok_or_else(|| format!("a {role} user needs {flag}"));
    Ok(match role.trim() {
        "township" => Role::Township,
        "cadre" => Role::Cadre {
            village: need(village, "--village")?,
        },
        "grid" => Role::Grid {
            village: need(village, "--village")?,
            grid: need(grid, "--grid")?,
        },
        "merchant" => Role::Merchant {
            merchant: need(merchant, "--merchant")?,
        },
        other => return Err(format!("role must be township, cadre, grid or merchant, not '{other}'")),
    })
}

fn user_view(row: ConsoleUserRow) -> Result<ConsoleUser> {
    let role = role_of(&row.role, row.village, row.grid, row.merchant)
        .map_err(|e| TownshipError::Invalid(format!("user {}: {e}", row.name)))?;
    Ok(ConsoleUser {
        name: row.name,
        role,
        active: row.active,
        locked_until: row.locked_until.map(crate::domain::clock::china_time_text),
        created_at: crate::domain::clock::china_time_text(row.created_at),
    })
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A real Argon2id hash of a password nobody knows, checked against when the name is
/// unknown (made once, at the first such sign-in).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        Argon2::default()
            .hash_password(random_hex().as_bytes(), &SaltString::generate(&mut OsRng))
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
