//! PostgreSQL storage for the township server at county scale (issue 7): the schema and
//! its migrations, a pool of connections, transactions, and rows ↔ domain values.
//!
//! The township's storage trait is synchronous (the server calls it on tokio's blocking
//! pool, the CLI calls it directly), so this store owns a small tokio runtime and blocks
//! on it; the pool's connections live on that runtime.

mod console;
mod console_drafts;
mod evidence;
mod fleet;
mod funds;
mod registry;
mod scratch;
mod tls;
mod village;

use std::future::Future;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, Row};

pub use scratch::{server_settings, ScratchDatabase};
pub use village::FeedRow;

/// Errors from PostgreSQL. Messages name the database problem, never a resident's data.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PostgreSQL: {}", describe(.0))]
    Db(tokio_postgres::Error),
    #[error("cannot get a PostgreSQL connection: {}", chain(.0))]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("bad --database-url: {0}")]
    Url(String),
    #[error("no village with code {0} is registered at the township")]
    UnknownVillage(String),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    #[error("the database was written by a newer jifen (schema {found}, this build knows {known})")]
    TooNew { found: i32, known: i32 },
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Db(e)
    }
}

/// The server's own words when it refused a statement (tokio-postgres says just "db
/// error" and keeps them in its source), else the client's with its cause.
fn describe(e: &tokio_postgres::Error) -> String {
    match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        (None, Some(source)) => format!("{e}: {source}"),
        (None, None) => e.to_string(),
    }
}

/// An error with every cause after it ("error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer"), so the operator reads what actually went wrong.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

impl PgError {
    /// True when a constraint refused the row (the data is wrong, not the server).
    pub fn is_constraint(&self) -> bool {
        match self {
            PgError::Db(e) => e.code().is_some_and(|c| c.code().starts_with("23")),
            _ => false,
        }
    }

    /// True for a deadlock or serialization failure: retrying the transaction is safe.
    fn is_transient(&self) -> bool {
        match self {
            PgError::Db(e) => e
                .code()
                .is_some_and(|c| *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE),
            _ => false,
        }
    }
}

pub type Result<T, E = PgError> = std::result::Result<T, E>;

/// Migrations in order; `schema_migrations` records the ones applied.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("schema_1.sql")),
    (2, include_str!("schema_2_fleet.sql")),
    (3, include_str!("schema_3_ingest.sql")),
    (4, include_str!("schema_4_pictures.sql")),
    (5, include_str!("schema_5_evidence.sql")),
    (6, include_str!("schema_6_funds.sql")),
    (7, include_str!("schema_7_console.sql")),
    (8, include_str!("schema_8_drafts.sql")),
];

/// An arbitrary but fixed key: migrations run under this advisory lock, so two servers
/// starting together do not both create the schema.
const MIGRATION_LOCK: i64 = 0x6a6966656e; // "jifen"

pub struct PgStore {
    pool: Pool,
    /// A few connections whose commits do not wait for the disk
    /// (`synchronous_commit=off`), for [`PgStore::auto_unsynced`].
    unsynced: Pool,
    runtime: tokio::runtime::Runtime,
}

/// Connections in the unsynced pool: one statement per signed request, no waiting.
const UNSYNCED_CONNECTIONS: usize = 4;

/// A transaction in progress on one pooled connection, or (from [`PgStore::auto`]) the
/// connection itself, each statement committing on its own.
pub struct PgTx<'a> {
    conn: Conn<'a>,
}

enum Conn<'a> {
    Tx(deadpool_postgres::Transaction<'a>),
    Auto(&'a deadpool_postgres::Object),
}

impl PgStore {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, or `host=/socket/dir`
    /// key-value form) with up to `max_connections`, and brings the schema up to date.
    pub fn connect(url: &str, max_connections: usize) -> Result<PgStore> {
        let url = tls::parse(url)?;
        let connector = tls::connector(&url)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("jifen-pg")
            .enable_all()
            .build()
            .map_err(|e| PgError::Url(format!("cannot start the database runtime: {e}")))?;
        let mut unsynced = url.config.clone();
        let options = unsynced.get_options().unwrap_or("").to_string();
        unsynced.options(format!("{options} -c synchronous_commit=off").trim());
        let unsynced = self::pool(unsynced, tls::connector(&url)?, UNSYNCED_CONNECTIONS)?;
        let pool = pool(url.config, connector, max_connections)?;
        let store = PgStore {
            pool,
            unsynced,
            runtime,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Runs `f` in a READ COMMITTED transaction that first locks `village`'s row (so every
    /// writer of one village takes its turn and feed positions commit in order). Commits
    /// when `f` returns Ok; a deadlock or serialization failure is retried.
    pub fn write<T, E>(&self, village: Option<&str>, f: impl AsyncFn(&PgTx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<PgError> + AsPgError,
    {
        self.block_on(async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let mut client = self.pool.get().await.map_err(PgError::from)?;
                let tx = client.transaction().await.map_err(PgError::from)?;
                let tx = PgTx { conn: Conn::Tx(tx) };
                let result = async {
                    if let Some(code) = village {
                        if tx.lock_village(code).await?.is_none() {
                            return Err(E::from(PgError::UnknownVillage(code.to_string())));
                        }
                    }
                    f(&tx).await
                }
                .await;
                let result = match result {
                    Ok(value) => tx.commit().await.map(|_| value).map_err(E::from),
                    Err(e) => Err(e),
                };
                match result {
                    Err(e) if attempt < 5 && e.as_pg().is_some_and(PgError::is_transient) => continue,
                    other => return other,
                }
            }
        })
    }

    /// Runs `f` in a read-only REPEATABLE READ transaction: every query sees one snapshot.
    pub fn read<T>(&self, f: impl AsyncFnOnce(&PgTx<'_>) -> Result<T>) -> Result<T> {
        self.block_on(async {
            let mut client = self.pool.get().await?;
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let tx = PgTx { conn: Conn::Tx(tx) };
            let value = f(&tx).await?;
            tx.commit().await?;
            Ok(value)
        })
    }

    /// Runs `f` on a pooled connection outside a transaction: for one statement, where
    /// BEGIN and COMMIT would only add round trips (the server's per-request lookups).
    pub fn auto<T>(&self, f: impl AsyncFnOnce(&PgTx<'_>) -> Result<T>) -> Result<T> {
        self.auto_on(&self.pool, f)
    }

    /// As [`PgStore::auto`], on a connection whose commits do not wait for the disk: for
    /// a record whose loss in a crash costs nothing (a request's nonce), where waiting for
    /// a WAL flush on every request queued the load test's requests behind each other.
    pub fn auto_unsynced<T>(&self, f: impl AsyncFnOnce(&PgTx<'_>) -> Result<T>) -> Result<T> {
        self.auto_on(&self.unsynced, f)
    }

    fn auto_on<T>(&self, pool: &Pool, f: impl AsyncFnOnce(&PgTx<'_>) -> Result<T>) -> Result<T> {
        self.block_on(async {
            let client = pool.get().await?;
            let conn = PgTx {
                conn: Conn::Auto(&client),
            };
            f(&conn).await
        })
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    fn migrate(&self) -> Result<()> {
        self.block_on(async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version    integer PRIMARY KEY,
                     applied_at timestamptz NOT NULL DEFAULT now())",
            )
            .await?;
            let found: i32 = tx
                .query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])
                .await?
                .get(0);
            let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
            if found > known {
                return Err(PgError::TooNew { found, known });
            }
            for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
                tx.batch_execute(sql).await?;
                tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

fn pool(config: tokio_postgres::Config, connector: tls::Connector, size: usize) -> Result<Pool> {
    let manager = Manager::from_config(
        config,
        connector,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| PgError::Url(e.to_string()))
}

/// Statements through the connection's cache: each is parsed once per connection, then
/// only bound and executed (one round trip instead of two).
impl PgTx<'_> {
    async fn q(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        Ok(match &self.conn {
            Conn::Tx(tx) => tx.query(&tx.prepare_cached(sql).await?, params).await?,
            Conn::Auto(c) => c.query(&c.prepare_cached(sql).await?, params).await?,
        })
    }

    async fn q_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        Ok(match &self.conn {
            Conn::Tx(tx) => tx.query_opt(&tx.prepare_cached(sql).await?, params).await?,
            Conn::Auto(c) => c.query_opt(&c.prepare_cached(sql).await?, params).await?,
        })
    }

    async fn q_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        Ok(match &self.conn {
            Conn::Tx(tx) => tx.query_one(&tx.prepare_cached(sql).await?, params).await?,
            Conn::Auto(c) => c.query_one(&c.prepare_cached(sql).await?, params).await?,
        })
    }

    async fn exec(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        Ok(match &self.conn {
            Conn::Tx(tx) => tx.execute(&tx.prepare_cached(sql).await?, params).await?,
            Conn::Auto(c) => c.execute(&c.prepare_cached(sql).await?, params).await?,
        })
    }

    /// Plans each statement of this transaction for its own parameters. Batches look
    /// their keys up with `= ANY($1)`, and a generic plan made for one batch size scans a
    /// village's whole ledger for the next; the small statements of every request keep
    /// their cached generic plans (planning them each time cost the load test CPU).
    pub async fn plan_each_statement(&self) -> Result<()> {
        self.exec("SET LOCAL plan_cache_mode = force_custom_plan", &[]).await?;
        Ok(())
    }

    /// This transaction's commit does not wait for the disk: for one that records only
    /// what the next request records again (a kiosk's last hello), where a WAL flush per
    /// request was most of a busy township's latency.
    pub async fn commit_without_waiting_for_disk(&self) -> Result<()> {
        self.exec("SET LOCAL synchronous_commit = off", &[]).await?;
        Ok(())
    }

    async fn commit(self) -> Result<()> {
        if let Conn::Tx(tx) = self.conn {
            tx.commit().await?;
        }
        Ok(())
    }
}

/// Lets [`PgStore::write`] see whether a caller's error is a retryable database error.
pub trait AsPgError {
    fn as_pg(&self) -> Option<&PgError>;
}

impl AsPgError for PgError {
    fn as_pg(&self) -> Option<&PgError> {
        Some(self)
    }
}
