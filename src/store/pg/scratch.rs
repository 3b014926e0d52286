//! Scratch databases for tests and benchmarks, made and dropped on a server through an
//! admin URL (a role that may create databases), and the server's settings for a bench
//! to print beside its figures.

use super::{tls, PgError, Result};

/// A database of its own for a benchmark or a test run, created on the server at an
/// admin URL (a role that may create databases) and dropped, with its connections,
/// when this goes out of scope. Not for use inside an async context.
pub struct ScratchDatabase {
    admin: String,
    name: String,
    /// The admin URL pointing at the new database.
    pub url: String,
}

impl ScratchDatabase {
    pub fn create(admin_url: &str, prefix: &str) -> Result<ScratchDatabase> {
        let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
        admin_sql(admin_url, &format!("CREATE DATABASE {name}"))?;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) if admin_url.contains("://") => format!("{server}/{name}"),
            _ => format!("{admin_url} dbname={name}"),
        };
        Ok(ScratchDatabase {
            admin: admin_url.to_string(),
            name,
            url,
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = admin_sql(&self.admin, &sql) {
            tracing::warn!(database = %self.name, error = %e, "cannot drop the scratch database");
        }
    }
}

/// The server's settings by name (`SHOW name`), for a benchmark to say what it ran on:
/// figures with `fsync=off` flatter PostgreSQL. Not for use inside an async context.
pub fn server_settings(admin_url: &str, names: &[&str]) -> Result<Vec<(String, String)>> {
    if let Some(name) = names
        .iter()
        .find(|n| !n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    {
        return Err(PgError::Url(format!("{name:?} is not a setting's name")));
    }
    // One session, one row per SHOW, in order.
    let sql: String = names.iter().map(|n| format!("SHOW {n};")).collect();
    let values = admin_session(admin_url, &sql)?;
    Ok(names.iter().map(|n| n.to_string()).zip(values).collect())
}

fn admin_sql(admin_url: &str, sql: &str) -> Result<()> {
    admin_session(admin_url, sql).map(drop)
}

/// Runs `sql` (simple protocol, one or more statements) on a connection of its own and
/// returns the first column of each row it answers.
fn admin_session(admin_url: &str, sql: &str) -> Result<Vec<String>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PgError::Url(format!("cannot start the database runtime: {e}")))?;
    let url = tls::parse(admin_url)?;
    let connector = tls::connector(&url)?;
    runtime.block_on(async {
        let (client, connection) = url.config.connect(connector).await?;
        let task = tokio::spawn(connection);
        let result = client.simple_query(sql).await;
        drop(client);
        let _ = task.await;
        Ok(result?
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            })
            .collect())
    })
}
