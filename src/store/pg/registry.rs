//! Villages, registered kiosks, request nonces and township rule imports.

use chrono::{DateTime, Utc};

use super::{PgError, PgTx, Result};
use crate::store::{DeviceRow, VillageRow};

impl PgTx<'_> {
    pub async fn villages(&self) -> Result<Vec<VillageRow>> {
        let rows = self.q("SELECT code, name FROM villages ORDER BY code", &[]).await?;
        Ok(rows
            .iter()
            .map(|r| VillageRow {
                code: r.get(0),
                name: r.get(1),
            })
            .collect())
    }

    pub async fn village(&self, code: &str) -> Result<Option<VillageRow>> {
        let row = self
            .q_opt("SELECT code, name FROM villages WHERE code = $1", &[&code])
            .await?;
        Ok(row.map(|r| VillageRow {
            code: r.get(0),
            name: r.get(1),
        }))
    }

    pub async fn insert_village(&self, v: &VillageRow, id_number_key: &[u8; 32], at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO villages (code, name, id_number_key, created_at) VALUES ($1, $2, $3, $4)",
            &[&v.code, &v.name, &id_number_key.as_slice(), &at],
        )
        .await?;
        Ok(())
    }

    pub async fn id_number_key(&self, village: &str) -> Result<Option<[u8; 32]>> {
        let row = self
            .q_opt("SELECT id_number_key FROM villages WHERE code = $1", &[&village])
            .await?;
        row.map(|r| {
            let bytes: Vec<u8> = r.get(0);
            bytes
                .try_into()
                .map_err(|_| PgError::Corrupt(format!("village {village}'s ID-number key is not 32 bytes")))
        })
        .transpose()
    }

    /// Takes the village's row lock until commit (see `feed_last` in the schema); None
    /// when the village is not registered.
    pub async fn lock_village(&self, code: &str) -> Result<Option<i64>> {
        let row = self
            .q_opt("SELECT feed_last FROM villages WHERE code = $1 FOR UPDATE", &[&code])
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        let row = self
            .q_opt(
                "SELECT id, village, name, public_key FROM devices WHERE id = $1",
                &[&id],
            )
            .await?;
        Ok(row.as_ref().map(device_row))
    }

    pub async fn devices(&self) -> Result<Vec<DeviceRow>> {
        let rows = self
            .q(
                "SELECT id, village, name, public_key FROM devices ORDER BY village, created_at, id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(device_row).collect())
    }

    pub async fn insert_device(&self, d: &DeviceRow, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO devices (id, village, name, public_key, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&d.id, &d.village, &d.name, &d.public_key, &at],
        )
        .await?;
        Ok(())
    }

    /// Records a request nonce; false when the device used it before. Forgets nonces
    /// older than `forget_before` in the same statement.
    pub async fn remember_nonce(&self, device: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool> {
        let n = self
            .exec(
                "WITH old AS (DELETE FROM nonces WHERE seen_at < $4)
                 INSERT INTO nonces (device, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&device, &nonce, &now, &forget_before],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn rule_imports(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = self
            .q("SELECT file_name, csv FROM rule_imports ORDER BY id", &[])
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn add_rule_import(&self, file: &str, csv: &[u8], at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO rule_imports (file_name, csv, imported_at) VALUES ($1, $2, $3)",
            &[&file, &csv, &at],
        )
        .await?;
        Ok(())
    }
}

fn device_row(r: &tokio_postgres::Row) -> DeviceRow {
    DeviceRow {
        id: r.get(0),
        village: r.get(1),
        name: r.get(2),
        public_key: r.get(3),
    }
}
